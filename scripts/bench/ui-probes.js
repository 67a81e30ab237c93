// In-page probes for scripts/bench/ui.ts, injected with addInitScript: plain browser JS (the bench's own
// tsconfig has no DOM types). Each resolves with milliseconds measured by the page's clock, after a frame.
/* global window, document, requestAnimationFrame */
window.__ssodBench = {
  firstPaint() {
    return new Promise((resolve) => {
      const check = () => {
        const grid = document.querySelector('[data-testid="grid"]');
        const img = document.querySelector('[data-testid="tile"][data-index="0"] img');
        if (grid?.dataset.ready === 'true' && img?.complete && img.naturalWidth > 0) {
          requestAnimationFrame(() => resolve(performance.now()));
        } else requestAnimationFrame(check);
      };
      check();
    });
  },

  /** Change a sort <select> and wait until the grid shows the first page of the new order. */
  sort(testid, value) {
    return new Promise((resolve) => {
      const select = document.querySelector(`[data-testid="${testid}"]`);
      const grid = document.querySelector('[data-testid="grid"]');
      const first = () => document.querySelector('[data-testid="tile"][data-index="0"]')?.getAttribute('data-id');
      const start = performance.now();
      select.value = value;
      select.dispatchEvent(new Event('change', { bubbles: true }));
      let sawReload = false;
      const check = () => {
        if (grid.dataset.ready !== 'true' || !first()) sawReload = true;
        if (sawReload && grid.dataset.ready === 'true' && first()) {
          requestAnimationFrame(() => resolve(performance.now() - start));
        } else requestAnimationFrame(check);
      };
      check();
    });
  },

  /** Drag (input: live estimate, next frame) then release (change: exact count from the service). */
  threshold(fraction) {
    return new Promise((resolve) => {
      const slider = document.querySelector('[data-testid="threshold-slider"]');
      const count = document.querySelector('[data-testid="flagged-count"]');
      const min = Number(slider.min);
      const max = Number(slider.max);
      const start = performance.now();
      slider.value = String(min + (max - min) * fraction);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
      requestAnimationFrame(() => {
        const live = performance.now() - start;
        const start2 = performance.now();
        slider.dispatchEvent(new Event('change', { bubbles: true }));
        // The exact count replaces the placeholder once the service answers.
        const check = () => {
          if (count.dataset.exact === 'true')
            requestAnimationFrame(() => resolve({ live, committed: performance.now() - start2 }));
          else requestAnimationFrame(check);
        };
        requestAnimationFrame(check);
      });
    });
  },

  /** Scroll at `rowsPerSecond` for `seconds`; count on-screen tiles whose row has not arrived (blank). */
  scroll(rowsPerSecond, seconds) {
    return new Promise((resolve) => {
      const grid = document.querySelector('[data-testid="grid"]');
      const rowHeight = 176; // tile 168 + gap 8
      const start = performance.now();
      const top0 = grid.scrollTop;
      const r = { frames: 0, blankFrames: 0, blankTiles: 0, tilesSeen: 0, rows: 0 };
      const step = () => {
        const t = (performance.now() - start) / 1000;
        grid.scrollTop = top0 + t * rowsPerSecond * rowHeight;
        requestAnimationFrame(() => {
          r.frames++;
          const view = grid.getBoundingClientRect();
          let blank = 0;
          for (const el of grid.querySelectorAll('[data-testid="tile"]')) {
            const b = el.getBoundingClientRect();
            if (b.bottom < view.top || b.top > view.bottom) continue;
            r.tilesSeen++;
            if (!el.dataset.id) blank++;
          }
          r.blankTiles += blank;
          if (blank) r.blankFrames++;
          if (t < seconds) step();
          else {
            r.rows = Math.round((grid.scrollTop - top0) / rowHeight);
            resolve(r);
          }
        });
      };
      step();
    });
  },
};
