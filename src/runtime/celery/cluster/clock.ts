/** A Lamport clock, as kombu's LamportClock: every message carries one, and receivers move theirs past it. */
export class LamportClock {
  private value = 0;

  forward(): number {
    return ++this.value;
  }

  adjust(other: unknown): void {
    if (typeof other === 'number' && Number.isFinite(other)) this.value = Math.max(this.value, other) + 1;
  }

  get current(): number {
    return this.value;
  }
}
