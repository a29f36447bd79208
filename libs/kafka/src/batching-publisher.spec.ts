import { waitFor } from '@hub/testing';
import { BatchingPublisher, HubProducer, PublisherSaturatedError } from '@hub/kafka';
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

describe('BatchingPublisher bounds', () => {
  it('refuses at once past its buffer while the broker does not answer, and takes messages again once it does', async () => {
    const producer = new RecordingProducer();
    const publisher = new BatchingPublisher(producer as unknown as HubProducer, {
      topic: 't',
      lingerMs: 0,
      maxBatchSize: 2,
      sendTimeoutMs: 1000,
      maxBufferedMessages: 4,
    });
    const accepted = ['a', 'b', 'c', 'd'].map((value) => publisher.publish({ value }));
    expect(publisher.bufferedMessages).toBe(4);
    await expect(publisher.publish({ value: 'e' })).rejects.toThrow(PublisherSaturatedError);
    await tick();
    for (const send of producer.sends) send.settle();
    await Promise.all(accepted);
    expect(publisher.bufferedMessages).toBe(0);
    const later = publisher.publish({ value: 'f' });
    await tick();
    producer.sends[producer.sends.length - 1].settle();
    await expect(later).resolves.toBeUndefined();
  });

  it('never puts more bytes in one send than the broker takes in one record batch', async () => {
    const producer = new RecordingProducer();
    const publisher = new BatchingPublisher(producer as unknown as HubProducer, {
      topic: 't',
      lingerMs: 50,
      maxBatchSize: 1000,
      sendTimeoutMs: 1000,
      maxBatchBytes: 1000,
    });
    const published = Array.from({ length: 10 }, (_, index) =>
      publisher.publish({ key: `k${index}`, value: 'x'.repeat(298) }),
    );
    // Every message handed to the producer (the linger has passed): the batches are what they will be.
    await waitFor(() => producer.sends.flatMap((send) => send.messages).length === 10, { what: 'all ten sent' });
    const sizes = producer.sends.map((send) =>
      send.messages.reduce((sum, message) => sum + String(message.key).length + String(message.value).length, 0),
    );
    expect(sizes.every((size) => size <= 1000)).toBe(true);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(10 * 300);
    for (const send of producer.sends) send.settle();
    await Promise.all(published);
  });

  it('sends a batch the broker refuses as too large again one message at a time: only the large one fails', async () => {
    const producer = new RecordingProducer();
    const publisher = new BatchingPublisher(producer as unknown as HubProducer, {
      topic: 't',
      lingerMs: 10,
      maxBatchSize: 1000,
      sendTimeoutMs: 1000,
    });
    const small = publisher.publish({ key: 'small', value: 'x' });
    const large = publisher.publish({ key: 'large', value: 'x'.repeat(5000) });
    await waitFor(() => producer.sends.length > 0, { what: 'the first send' });
    expect(producer.sends.map((send) => send.messages.length)).toEqual([2]);
    const tooLarge = Object.assign(new Error('The request included a message larger than the max message size'), {
      type: 'MESSAGE_TOO_LARGE',
    });
    producer.sends[0].settle(tooLarge);
    await tick();
    // Each message alone: the small one is stored, the large one refused again.
    expect(producer.sends.slice(1).map((send) => send.messages.map((message) => message.key))).toEqual([
      ['small'],
      ['large'],
    ]);
    producer.sends[1].settle();
    producer.sends[2].settle(tooLarge);
    await expect(small).resolves.toBeUndefined();
    await expect(large).rejects.toThrow(/larger than the max message size/);
  });
});
