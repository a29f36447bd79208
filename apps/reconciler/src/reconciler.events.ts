import { Injectable } from '@nestjs/common';
import type { ConsumedMessage } from '@hub/kafka';
import { EventEmitter } from 'node:events';

/**
 * What one part of the reconciler tells the others without knowing them: the
 * projector announces each batch of NewStore events it projected, and the
 * event-stream watchdog (which keeps each tenant's last-event clock) listens.
 */
@Injectable()
export class ReconcilerEvents {
  private readonly emitter = new EventEmitter();

  /** A batch of newstore.events.v1 was projected. */
  newStoreEventsProjected(messages: ConsumedMessage[]): void {
    this.emitter.emit('newstore-events-projected', messages);
  }

  onNewStoreEventsProjected(listener: (messages: ConsumedMessage[]) => void): void {
    this.emitter.on('newstore-events-projected', listener);
  }
}
