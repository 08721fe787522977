import { freemem, totalmem } from 'node:os';
import { MODEL_KINDS } from '@gantry/domain';
import { FOLDER_OF_KIND } from '../models/model-files.js';
import { objectInfo, objectInfoFor } from '../nodes/object-info.js';
import type { SimContext } from '../sim-context.js';
import { json, type Route } from './router.js';

/** The ComfyUI release whose protocol the sim follows. */
const COMFYUI_VERSION = '0.3.64';
const MIB = 1024 * 1024;

/** `GET /system_stats`, `/features`, `/object_info[/{class}]`, `/models[/{folder}]`. */
export function infoRoutes(ctx: SimContext): Route[] {
  return [
    { method: 'GET', path: '/system_stats', handler: () => json(200, systemStats(ctx)) },
    { method: 'GET', path: '/features', handler: () => json(200, ctx.features) },
    { method: 'GET', path: '/object_info', handler: () => json(200, objectInfo(ctx.types)) },
    { method: 'GET', path: /^\/object_info\/([^/]+)$/, handler: (req) => json(200, objectInfoFor(ctx.types, req.params[0]!)) },
    { method: 'GET', path: '/models', handler: () => json(200, MODEL_KINDS.map((k) => FOLDER_OF_KIND[k])) },
    {
      method: 'GET',
      path: /^\/models\/([^/]+)$/,
      handler: (req) => {
        const kind = MODEL_KINDS.find((k) => FOLDER_OF_KIND[k] === req.params[0]);
        return kind ? json(200, ctx.modelFiles[kind]) : { status: 404 };
      },
    },
  ];
}

/** One CUDA device with the simulated VRAM; all sizes in bytes, as ComfyUI reports them. */
function systemStats(ctx: SimContext): Record<string, unknown> {
  const { gpu } = ctx;
  return {
    system: {
      os: 'posix',
      ram_total: totalmem(),
      ram_free: freemem(),
      comfyui_version: COMFYUI_VERSION,
      required_frontend_version: '1.27.10',
      installed_templates_version: '0.1.95',
      required_templates_version: '0.1.95',
      python_version: `3.12.3 (gpu-sim, Node ${process.versions.node})`,
      pytorch_version: '2.8.0+cu128',
      embedded_python: false,
      argv: ['main.py', '--gpu-sim'],
    },
    devices: [
      {
        name: `cuda:0 ${ctx.name} : cudaMallocAsync`,
        type: 'cuda',
        index: 0,
        vram_total: gpu.vramMb * MIB,
        vram_free: Math.round(gpu.freeMb() * MIB),
        torch_vram_total: Math.round(gpu.usedMb() * MIB),
        torch_vram_free: 0,
      },
    ],
  };
}
