/**
 * A writer to a process stream that goes quiet once the reader has gone: `mixnsqueeze list |
 * head -1` closes the pipe after one line, the next write fails with EPIPE, and that is the
 * reader's choice, not an error worth a stack trace. The command still finishes (its files, its
 * database rows), only its remaining output is dropped.
 */
export function streamWriter(stream: NodeJS.WriteStream): (s: string) => void {
  let closed = false;
  stream.on('error', () => {
    // EPIPE, or any other failure of the stream: there is nobody left to tell.
    closed = true;
  });
  return (s: string) => {
    if (!closed && !stream.destroyed) stream.write(s);
  };
}
