import { Data } from "effect"

/** Why a command did not do all it was asked: printed as one line, then a non-zero exit. */
export class CliFailure extends Data.TaggedError("CliFailure")<{ readonly message: string }> {}
