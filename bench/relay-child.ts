/**
 * The relay server's child: sends every IPC message straight back. Its first message
 * says it is up; it exits when the channel closes.
 */
process.on('message', (m) => process.send!(m));
process.once('disconnect', () => process.exit(0));
process.send!({ id: -1, body: 'ready' });
