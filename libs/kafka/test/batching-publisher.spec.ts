import { BatchingPublisher, HubProducer } from '@hub/kafka';
import { Message, RecordMetadata } from 'kafkajs';

/** Records each send; the test settles them by hand. */
class RecordingProducer {
  readonly sends: { messages: Message[]; settle: (error?: Error) => void }[] = [];
  send(_topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    return new Promise((resolve, reject) => {
      this.sends.push({
        messages,
        settle: (error) => (error ? reject(error) : resolve([{ topicName: 't', partition: 0, errorCode: 0 }])),
      });
    });
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('BatchingPublisher (adaptive)', () => {
  it('sends at once when idle, and batches what arrives while a send is in flight', async () => {
    const producer = new RecordingProducer();
    const publisher = new BatchingPublisher(producer as unknown as HubProducer, {
      topic: 't',
      lingerMs: 0,
      maxBatchSize: 100,
      sendTimeoutMs: 1000,
    });
    const first = publisher.publish({ value: 'a' });
    await tick();
    expect(producer.sends).toHaveLength(1);
    const rest = ['b', 'c', 'd'].map((value) => publisher.publish({ value }));
    await tick();
    expect(producer.sends).toHaveLength(1); // one send at a time
    producer.sends[0].settle();
    await first;
    await tick();
    expect(producer.sends).toHaveLength(2);
    expect(producer.sends[1].messages.map((message) => message.value)).toEqual(['b', 'c', 'd']);
    producer.sends[1].settle(new Error('broker gone'));
    for (const pending of rest) await expect(pending).rejects.toThrow('broker gone');
  });

  it('sends a full batch without waiting', async () => {
    const producer = new RecordingProducer();
    const publisher = new BatchingPublisher(producer as unknown as HubProducer, {
      topic: 't',
      lingerMs: 1000,
      maxBatchSize: 3,
      sendTimeoutMs: 1000,
    });
    void publisher.publish({ value: '1' });
    void publisher.publish({ value: '2' });
    expect(producer.sends).toHaveLength(0);
    void publisher.publish({ value: '3' });
    expect(producer.sends).toHaveLength(1);
    expect(producer.sends[0].messages).toHaveLength(3);
    producer.sends[0].settle();
  });
});
