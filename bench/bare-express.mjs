// The reference peer of bench/device-api.mjs: a bare express 5 app with one GET route answering
// a small JSON object, the floor any express-based API stands on. Run as its own process:
//   node bench/bare-express.mjs [PORT]   (0 or nothing: a free port)
// prints "listening HOST:PORT" once bound, and exits on SIGTERM/SIGINT.
import express from 'express';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/', (_req, res) => {
  res.json({ value: 0 });
});

const server = app.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`listening ${address}:${port}`);
});
const stop = () => server.close(() => process.exit(0)).closeAllConnections();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
