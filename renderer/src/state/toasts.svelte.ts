// Short messages at the corner of the screen; errors stay until dismissed.
export interface Toast {
  id: number;
  kind: 'info' | 'error';
  text: string;
}

class ToastState {
  items = $state<Toast[]>([]);
  private seq = 0;

  push(kind: Toast['kind'], text: string, ms = kind === 'error' ? 0 : 4000): number {
    const id = ++this.seq;
    this.items = [...this.items, { id, kind, text }].slice(-5);
    if (ms > 0) setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new ToastState();
