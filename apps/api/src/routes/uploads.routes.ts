import { Router } from 'express';
import { AppError, inputFilename, uploadView, type UploadView } from '@gantry/domain';
import { deleteTenantUpload, findTenantUpload } from '@gantry/db';
import type { ApiDeps } from '../context.js';
import { sendStoredObject } from '../http/send-stored-object.js';
import { bindOperation } from '../http/bind-operation.js';
import { principalOf } from '../middleware/auth.js';
import { redirectPresign } from '../services/presign.js';
import { releaseBlob } from '../uploads/release-blob.js';
import { storeImage } from '../uploads/store-image.js';
import { uploadBody } from '../uploads/upload-body.js';

const MOUNT = '/api/v1/uploads';

/** The upload id of the path (parsed by the binder: a malformed one is not found), in the form it is stored. */
function uploadId(bound: { params(): { id: string } }): string {
  return bound.params().id.toLowerCase();
}

/** Input images: upload (raw body or multipart), metadata, content, delete (docs/api.md "Input images"). */
export function uploadsRouter(deps: ApiDeps): Router {
  const router = Router();

  bindOperation(router, MOUNT, 'createUpload', async (req, res) => {
    const config = deps.config.uploads;
    let body;
    try {
      body = await uploadBody(req, config.maxBytes);
    } catch (err) {
      res.setHeader('Connection', 'close'); // the body is left unread: do not reuse the connection
      throw err;
    }
    let stored;
    try {
      stored = await storeImage(deps, config, principalOf(req).tenantId, body, 'UPLOAD_TOO_LARGE');
    } catch (err) {
      if (!req.readableEnded) res.setHeader('Connection', 'close');
      throw err;
    }
    const { upload, created } = stored;
    req.log.info({ uploadId: upload.id, bytes: upload.bytes, created }, 'upload stored');
    res.status(created ? 201 : 200).location(`/api/v1/uploads/${upload.id}`).json(uploadView(upload) satisfies UploadView);
  });

  bindOperation(router, MOUNT, 'getUpload', async (req, res, bound) => {
    const upload = await findTenantUpload(deps.db, principalOf(req).tenantId, uploadId(bound));
    if (!upload) throw new AppError('NOT_FOUND', 'No such upload');
    res.json(uploadView(upload) satisfies UploadView);
  });

  bindOperation(router, MOUNT, 'getUploadContent', async (req, res, bound) => {
    const upload = await findTenantUpload(deps.db, principalOf(req).tenantId, uploadId(bound));
    if (!upload) throw new AppError('NOT_FOUND', 'No such upload');
    // As an artifact: ETag/304, one byte range (206/416), or a 302 to a presigned URL of the store.
    await sendStoredObject(req, res, deps.store, { ...upload, filename: inputFilename(upload.sha256, upload.contentType) }, { presign: redirectPresign(deps) });
  });

  bindOperation(router, MOUNT, 'deleteUpload', async (req, res, bound) => {
    const id = uploadId(bound);
    const outcome = await deleteTenantUpload(deps.db, principalOf(req).tenantId, id, (key) => releaseBlob(deps.store, key));
    if (outcome.kind === 'missing') throw new AppError('NOT_FOUND', 'No such upload');
    if (outcome.kind === 'in-use') {
      throw new AppError('UPLOAD_IN_USE', 'A queued or running job uses this upload; delete it once the job ended', { details: { jobs: outcome.jobs } });
    }
    req.log.info({ uploadId: id, blobReleased: outcome.blobReleased }, 'upload deleted');
    res.status(204).end();
  });

  return router;
}
