import type { DashboardApi } from './api.js';

/**
 * Output images as blob: URLs (the artifact URLs need the API key, which an <img> cannot send).
 * One fetch per artifact; the oldest URLs are revoked beyond a bound.
 */
export class ImageCache {
  private readonly urls = new Map<string, Promise<string>>();

  constructor(
    private readonly api: DashboardApi,
    private readonly max = 200,
  ) {}

  url(artifactUrl: string): Promise<string> {
    let p = this.urls.get(artifactUrl);
    if (!p) {
      p = this.api.artifactBlob(artifactUrl).then((blob) => URL.createObjectURL(blob));
      p.catch(() => this.urls.delete(artifactUrl));
      this.urls.set(artifactUrl, p);
      while (this.urls.size > this.max) {
        const [oldest, url] = this.urls.entries().next().value as [string, Promise<string>];
        this.urls.delete(oldest);
        url.then((u) => URL.revokeObjectURL(u), () => undefined);
      }
    }
    return p;
  }

  /** Thumbnails load when they scroll near the viewport (outputs can be megabytes each). */
  private readonly observer =
    typeof IntersectionObserver === 'function'
      ? new IntersectionObserver(
          (entries) => {
            for (const e of entries) {
              if (!e.isIntersecting) continue;
              const img = e.target as HTMLImageElement;
              this.observer?.unobserve(img);
              if (img.dataset.src) this.load(img, img.dataset.src);
            }
          },
          { rootMargin: '200px' },
        )
      : null;

  /** Shows an output in `img` once loaded (alt text stays meaningful meanwhile); `lazy`: when visible. */
  show(img: HTMLImageElement, artifactUrl: string, lazy = false): void {
    if (img.dataset.src === artifactUrl) return;
    img.dataset.src = artifactUrl;
    if (lazy && this.observer) this.observer.observe(img);
    else this.load(img, artifactUrl);
  }

  private load(img: HTMLImageElement, artifactUrl: string): void {
    this.url(artifactUrl).then(
      (u) => {
        if (img.dataset.src === artifactUrl) img.src = u;
      },
      () => img.classList.add('broken'),
    );
  }

  clear(): void {
    this.observer?.disconnect();
    for (const p of this.urls.values()) p.then((u) => URL.revokeObjectURL(u), () => undefined);
    this.urls.clear();
  }
}
