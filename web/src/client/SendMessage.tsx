import { useState, type FormEvent } from 'react';
import { api, call } from '../api/client';
import { useRevalidate } from '../api/hooks';
import type { ClientProfile } from '../api/types';
import { Field } from '../components/Field';
import { Panel } from '../components/Panel';
import { ErrorNotice } from '../components/States';

const MAX = 2000; // Discord's own limit for one message

export function SendMessage({ profile }: { profile: ClientProfile }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string>();
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const revalidate = useRevalidate();
  const reachable = profile.status === 'active' || profile.status === 'onboarding';

  const send = async (event: FormEvent) => {
    event.preventDefault();
    if (!text.trim()) {
      setProblem('Write something to send.');
      return;
    }
    setProblem(undefined);
    setBusy(true);
    setError(null);
    try {
      await call(
        api.POST('/clients/{client_id}/messages', {
          params: { path: { client_id: profile.id } },
          body: { text },
        }),
      );
      setText('');
      setSent(true);
      void revalidate('deliveries_list', 'client_timeline');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title={`Message ${profile.display_name}`}>
      {!reachable && (
        <p className="notice">
          {profile.display_name} is {profile.status}: they get no DMs until they are active again.
        </p>
      )}
      <form onSubmit={(event) => void send(event)} noValidate>
        <Field label="Message (sent as a Discord DM)" error={problem} hint={`${text.length} / ${MAX}`}>
          <textarea
            rows={4}
            maxLength={MAX}
            value={text}
            disabled={!reachable}
            onChange={(event) => {
              setText(event.target.value);
              setSent(false);
            }}
          />
        </Field>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy || !reachable}>
            {busy ? 'Sending…' : 'Send'}
          </button>
          <span role="status">{sent && <span className="ok">Queued: it shows under deliveries below.</span>}</span>
        </div>
        {error ? <ErrorNotice error={error} /> : null}
      </form>
    </Panel>
  );
}
