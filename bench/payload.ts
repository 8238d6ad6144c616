/** The text the backend's `blob` tool answers: `kb` KiB, the same every time, so the client can check it. */
export function blobText(kb: number): string {
  const line = 'the quick brown fox jumps over the lazy dog 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLM\n';
  return line.repeat(Math.ceil((kb * 1024) / line.length)).slice(0, kb * 1024);
}
