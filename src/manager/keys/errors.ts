// The typed error of the manager's key files and unlock key: one class, a stable `code` per
// failure, and a message an operator can act on (which file or what about the key was wrong).
// Messages never quote an unlock key: they end up in logs.

export type KeyErrorCode =
  /** Text that is not an unlock key (SWMKEY-1- and 43 base64 characters). */
  | 'KEYS_BAD_UNLOCK_KEY'
  /** The key files are autolocked and no unlock key was given. */
  | 'KEYS_LOCKED'
  /** The unlock key given does not unwrap the data encryption keys. */
  | 'KEYS_WRONG_UNLOCK_KEY'
  /** A key file is unreadable as one: truncated, altered, or its KEK missing. */
  | 'KEYS_CORRUPT_FILE'
  | 'KEYS_NOT_FOUND'
  /** createKeyFiles on a directory that already holds them: replacing the DEK would lose the log. */
  | 'KEYS_ALREADY_EXIST'
  /** The keys handed to a change are not the ones in the file (another change came in between). */
  | 'KEYS_OUT_OF_DATE';

export class KeyError extends Error {
  override readonly name = 'KeyError';
  /** The key file the problem was found in, when it is about one. */
  readonly file: string | undefined;

  constructor(
    readonly code: KeyErrorCode,
    message: string,
    options: { file?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.file = options.file;
  }
}
