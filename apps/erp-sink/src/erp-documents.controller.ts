import { ConsumedMessage } from '@hub/kafka';
import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { DocumentPoster } from './document-poster';

/** The pattern of erp.documents.v1's handler; its subscription is in {@link ErpSinkModule}. */
export const ERP_DOCUMENTS = 'erp-documents';

/**
 * erp.documents.v1 → the ERP. The handler resolves once the outcome is durable
 * (status topic and ledger), and only then is the offset committed; a temporary
 * ERP failure throws, and the transport pauses the partition and retries the same
 * document.
 */
@Controller()
export class ErpDocumentsController {
  constructor(@Inject(DocumentPoster) private readonly poster: DocumentPoster) {}

  @EventPattern(ERP_DOCUMENTS)
  async handle(@Payload() message: ConsumedMessage): Promise<void> {
    await this.poster.handle(message);
  }
}
