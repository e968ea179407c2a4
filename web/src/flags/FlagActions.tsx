import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { useRevalidate } from '../api/hooks';
import type { FlagView } from '../api/types';
import { Field } from '../components/Field';
import { ErrorNotice } from '../components/States';

const CHANGED_BY_TRIAGE = ['flags_list', 'roster_list', 'client_get'];

/** Acknowledge, or resolve with a note; what the flag's status still allows. */
export function FlagActions({ flag }: { flag: FlagView }) {
  const [resolving, setResolving] = useState(false);
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const revalidate = useRevalidate();
  const path = { params: { path: { flag_id: flag.id } } };

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      await revalidate(...CHANGED_BY_TRIAGE);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  const resolve = (event: FormEvent) => {
    event.preventDefault();
    if (!note.trim()) {
      setNoteError('Say what was done, for the record.');
      return;
    }
    setNoteError(undefined);
    void run(() => call(api.POST('/flags/{flag_id}/resolve', { ...path, body: { note } })));
  };

  if (flag.status === 'resolved') return null;
  return (
    <div className="flag-actions">
      {!resolving && (
        <>
          {flag.status === 'open' && (
            <button
              type="button"
              disabled={busy}
              onClick={() => void run(() => call(api.POST('/flags/{flag_id}/acknowledge', path)))}
            >
              Acknowledge
            </button>
          )}
          <button type="button" disabled={busy} onClick={() => setResolving(true)}>
            Resolve…
          </button>
        </>
      )}
      {resolving && (
        <form className="resolve" onSubmit={resolve} noValidate>
          <Field label="Resolution note" error={noteError}>
            <textarea value={note} maxLength={2000} rows={3} onChange={(e) => setNote(e.target.value)} />
          </Field>
          <button type="submit" className="primary" disabled={busy}>
            Resolve
          </button>
          <button type="button" className="quiet" onClick={() => setResolving(false)}>
            Cancel
          </button>
        </form>
      )}
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}
