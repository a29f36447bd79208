import type { HubProducer } from '@hub/kafka';
import { countResends } from '@hub/platform';
import { Registry } from 'prom-client';

describe('countResends', () => {
  it("counts per topic the messages a producer sent again, one series for all of a service's producers", async () => {
    const metrics = new Registry();
    const producers = [{}, {}] as Pick<HubProducer, 'onResent'>[] as HubProducer[];
    for (const producer of producers) countResends(producer, { metrics });

    producers[0].onResent!('newstore.events.v1', 3);
    producers[1].onResent!('newstore.events.v1', 1);
    producers[1].onResent!('erp.documents.v1', 12);

    const text = await metrics.metrics();
    expect(text).toContain('parity_kafka_messages_resent_total{topic="newstore.events.v1"} 4');
    expect(text).toContain('parity_kafka_messages_resent_total{topic="erp.documents.v1"} 12');
  });
});
