import { type Registry, UnknownComponentError } from '@mixnsqueeze/core';
import { loadPlugins } from '../cli/context.ts';
import { builtinRegistry } from '../cli/builtin-registry.ts';
import { publicModel } from './public-model.ts';
import { OracleError, remoteView } from './remote-view.ts';
import { type ToChild, type ToParent, firstLine } from './wire.ts';

// The adversary's process (see AdversaryHost): it loads the registry as the parent did, then plays
// each game it is sent through oracles that are messages. It holds nothing of the defended
// classifier; when the parent goes away, so does it.

const send = (m: ToParent) => void process.send!(m);
let registry: Registry | undefined;
let plugins: readonly string[] = [];
let current: { game: number; settle(m: Extract<ToChild, { type: 'answer' }>): void } | undefined;

process.on('disconnect', () => process.exit(0));

process.on('message', (m: ToChild) => {
  if (m.type === 'init') void init(m.plugins);
  else if (m.type === 'play') void play(m);
  else if (m.type === 'answer' && current?.game === m.game) current.settle(m);
});

async function init(paths: readonly string[]): Promise<void> {
  try {
    plugins = paths;
    registry = await loadPlugins(builtinRegistry(), paths);
    send({ type: 'ready' });
  } catch (e) {
    send({ type: 'failed', message: firstLine(e) });
  }
}

async function play(m: Extract<ToChild, { type: 'play' }>): Promise<void> {
  try {
    const model = m.view.model ? await publicModel(m.view.box, m.view.model, registry!) : undefined;
    const remote = remoteView(m.game, m.view, m.candidates, send, model);
    current = { game: m.game, settle: remote.settle };
    const adversary = create(m.spec)(m.candidates, m.labels);
    await adversary.play(remote.view);
    send({ type: 'done', game: m.game });
  } catch (e) {
    send({ type: 'error', game: m.game, message: firstLine(e), ...(e instanceof OracleError ? { oracle: e.query } : {}) });
  } finally {
    current = undefined;
  }
}

function create(spec: string) {
  try {
    return registry!.adversary(spec);
  } catch (e) {
    if (!(e instanceof UnknownComponentError)) throw e;
    const loaded = plugins.length ? `the plugin modules ${plugins.join(', ')}` : 'no plugin module';
    throw new UnknownComponentError(
      `${firstLine(e)} The adversary process loaded the built-ins and ${loaded}: pass the module that registers it to the host (the plugins option of AdversaryHost or gameAdversaries; the CLI passes its --plugin modules).`,
    );
  }
}
