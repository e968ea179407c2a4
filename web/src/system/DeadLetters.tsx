import { useState } from 'react';
import { api, call } from '../api/client';
import { useDeadLetters, useRevalidate } from '../api/hooks';
import type { DeadLetter } from '../api/types';
import { Panel } from '../components/Panel';
import { ErrorNotice, Resource } from '../components/States';
import { dateTime } from '../format';

function Letter({ letter, onReplayed }: { letter: DeadLetter; onReplayed: (result: string) => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const replay = async () => {
    setBusy(true);
    setError(null);
    try {
      const replayed = await call(
        api.POST('/system/dead-letters/{dead_letter_id}/replay', {
          params: { path: { dead_letter_id: letter.id } },
        }),
      );
      onReplayed(`Replayed ${letter.id}: back on ${replayed.stream} as ${replayed.new_id}.`);
    } catch (failure) {
      setError(failure);
      setBusy(false);
    }
  };
  return (
    <li className="dead-letter" data-testid="dead-letter">
      <div className="entry-head">
        <strong>
          <code>{letter.type}</code> on <code>{letter.stream}</code>
        </strong>
        <time dateTime={letter.dead_lettered_at}>{dateTime(letter.dead_lettered_at)}</time>
      </div>
      <p className="field-error">{letter.error}</p>
      <p className="muted small">
        Group {letter.group} · delivered {letter.deliveries}× · original id {letter.original_id}
      </p>
      <details>
        <summary>Message</summary>
        <pre className="client-text">{letter.data}</pre>
      </details>
      <div className="replay">
        <button type="button" onClick={() => void replay()} disabled={busy}>
          Replay
        </button>
        {error ? <ErrorNotice error={error} /> : null}
      </div>
    </li>
  );
}

/** Dead letters, oldest first, a page at a time (the api pages by entry id). */
export function DeadLetters() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [replayed, setReplayed] = useState<string | null>(null);
  const letters = useDeadLetters(cursors.at(-1) ?? null);
  const revalidate = useRevalidate();
  const onReplayed = (result: string) => {
    // Said here, not on the letter: the letter leaves the list once replayed.
    setReplayed(result);
    void revalidate('dead_letters_list', 'system_status');
  };
  return (
    <Panel title="Dead letters" className="wide">
      <p role="status" className="ok">
        {replayed}
      </p>
      <Resource
        result={letters}
        what="dead letters"
        empty={(page) => (page.items.length === 0 ? 'No dead letters: every message was handled.' : null)}
      >
        {(page) => (
          <>
            <p className="muted">
              {page.total} waiting. Replaying puts a message back on its stream with its idempotency key, so
              nothing already done is done twice.
            </p>
            <ul className="dead-letters">
              {page.items.map((letter) => (
                <Letter key={letter.id} letter={letter} onReplayed={onReplayed} />
              ))}
            </ul>
            <nav className="pager" aria-label="Dead letter pages">
              <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
                Previous
              </button>
              <button
                type="button"
                disabled={!page.next_after}
                onClick={() => page.next_after && setCursors([...cursors, page.next_after])}
              >
                Next
              </button>
            </nav>
          </>
        )}
      </Resource>
    </Panel>
  );
}
