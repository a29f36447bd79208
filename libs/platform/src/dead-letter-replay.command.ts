import { TopicName } from '@hub/contracts';
import { ConsumedMessage, describeReplay, parseReplayArguments, replayDeadLetters, ReplayArguments } from '@hub/kafka';
import { HubCommand, hubCommand } from './hub-service';

/**
 * A service's `replay-dlq` command: the dead letters of `dlq` chosen by order and by
 * id (`idFlag`, read from each letter by `idOf`) put back on `target` with a replay
 * marker, or (`--dry-run`) listed; `--limit N` at most.
 */
export function deadLetterReplayCommand(options: {
  usage: string;
  idFlag: string;
  dlq: TopicName;
  target: TopicName;
  idOf: (message: Pick<ConsumedMessage, 'value' | 'headers'>) => string | undefined;
}): HubCommand<unknown> {
  return hubCommand<unknown, ReplayArguments>({
    usage: options.usage,
    parse: (args) => parseReplayArguments(args, options.idFlag),
    async run({ kafka }, { orders, ids, dryRun, limit }) {
      const [dlq, target] = [kafka.topics[options.dlq], kafka.topics[options.target]];
      const entries = await replayDeadLetters(
        kafka.kafka,
        kafka.producer,
        dlq,
        target,
        { orders, ids, idOf: options.idOf },
        { dryRun, limit },
      );
      process.stdout.write(describeReplay(entries, dlq, target, dryRun));
    },
  });
}
