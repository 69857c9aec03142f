import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * JSON logs for machines; in a terminal, the same records made readable by pino-pretty
 * (in a worker thread, so the operator's event loop never formats text).
 */
export function createLogger(level: LevelWithSilent, pretty: boolean = process.stdout.isTTY): Logger {
  if (!pretty) return pino({ level, base: { name: 'portico' } });
  return pino({
    level,
    base: { name: 'portico' },
    transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name' } },
  });
}
