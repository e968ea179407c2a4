import { useEffect, useId, useRef, useState } from 'react';
import { useSWRConfig } from 'swr';
import { api, call } from '../api/client';
import { useRevalidate } from '../api/hooks';
import type { ClientDetail, ClientProfile, ClientStatus, StatusChange } from '../api/types';
import { Badge, type Tone } from '../components/Badge';
import { ErrorNotice } from '../components/States';
import { words } from '../format';

type Target = StatusChange['status'];

// What a status means for the client, as the api, scheduler and bot behave (README,
// docs/decisions/0005): only active clients are planned; a pause or an archive drops the
// client's planned fires within a tick (a minute), and re-activating plans them again
// from that moment, so nothing from the pause is sent late. The api refuses Battle
// Station's messages to a paused or archived client; the bot still relays what they
// write, but takes no check-ins, meals or job-card marks from them.
const MEANING: Record<ClientStatus, string> = {
  active: 'Gets their scheduled DMs (job card, check-in prompt, meal reminders) and your messages.',
  paused:
    'No DMs are sent while paused: nothing scheduled, and no messages from here. They can still write to you, but the bot takes no check-ins, meals or job-card marks from them.',
  archived:
    'Coaching has ended: no DMs, and the bot takes no check-ins, meals or job-card marks from them. Their history stays here.',
  onboarding: 'Still onboarding: they become active when they finish /start in Discord.',
};

const NEXT: Record<ClientStatus, string> = {
  active:
    'Pausing stops every DM until you reactivate them. Reactivating resumes their schedule, custom times included, from that moment; nothing from the pause is sent late.',
  paused:
    'Reactivating resumes their schedule, custom times included, within a minute; nothing from the pause is sent late.',
  archived: 'Reactivate to coach them again; sending /start in Discord also makes them active again.',
  onboarding: '',
};

const TONE: Record<ClientStatus, Tone> = { active: 'good', paused: 'warn', archived: 'neutral', onboarding: 'info' };

/** The changes a status allows, in the order offered. Onboarding ends in Discord only. */
const CHOICES: Record<ClientStatus, Target[]> = {
  active: ['paused', 'archived'],
  paused: ['active', 'archived'],
  archived: ['active'],
  onboarding: ['archived'],
};

const LABEL: Record<Target, { idle: string; busy: string }> = {
  active: { idle: 'Reactivate', busy: 'Reactivating…' },
  paused: { idle: 'Pause', busy: 'Pausing…' },
  archived: { idle: 'Archive…', busy: 'Archiving…' },
};

function done(status: Target, name: string): string {
  if (status === 'paused') return `Paused: ${name} gets no DMs until you reactivate them.`;
  if (status === 'archived') return `Archived ${name}.`;
  return `Reactivated: ${name}’s schedule resumes from now.`;
}

/** Pause, archive or reactivate the client; archiving asks first. */
export function StatusControl({ profile }: { profile: ClientProfile }) {
  const [busy, setBusy] = useState<Target | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [said, setSaid] = useState('');
  const [error, setError] = useState<unknown>(null);
  const { mutate } = useSWRConfig();
  const revalidate = useRevalidate();
  const headingId = useId();
  const question = useRef<HTMLParagraphElement>(null);
  const archiveButton = useRef<HTMLButtonElement>(null);
  const backToArchive = useRef(false);
  const actions = useRef<HTMLDivElement>(null);
  const changed = useRef(false);
  const status = profile.status;
  const name = profile.display_name;

  useEffect(() => {
    // Into the question when it opens; back to "Archive…" (enabled again) when cancelled.
    if (confirming) question.current?.focus();
    else if (backToArchive.current) archiveButton.current?.focus();
    backToArchive.current = false;
  }, [confirming]);

  useEffect(() => {
    // The button pressed is gone with the old status: keep the keyboard where it was,
    // on the new status's first choice, once the buttons are enabled again.
    if (!changed.current || busy !== null) return;
    changed.current = false;
    actions.current?.querySelector('button')?.focus();
  }, [status, busy]);

  const change = async (target: Target) => {
    setBusy(target);
    setError(null);
    setSaid('');
    try {
      const saved = await call(
        api.PUT('/clients/{client_id}/status', {
          params: { path: { client_id: profile.id } },
          body: { status: target },
        }),
      );
      changed.current = true;
      setConfirming(false);
      setSaid(done(target, name));
      // The page follows at once (header, message form); every read it touched refreshes.
      await mutate(
        ['client_get', profile.id],
        (current?: ClientDetail) =>
          current && { ...current, profile: saved, summary: { ...current.summary, status: saved.status } },
        { revalidate: false },
      );
      void revalidate('client_get', 'roster_list', 'client_schedule_get', 'upcoming_fires_list');
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(null);
    }
  };

  const cancel = () => {
    backToArchive.current = true;
    setConfirming(false);
  };

  return (
    <section className="client-status" aria-labelledby={headingId}>
      <h2 id={headingId}>Coaching status</h2>
      <p>
        <Badge tone={TONE[status]}>{words(status)}</Badge> {MEANING[status]}
      </p>
      <div className="actions" ref={actions}>
        {CHOICES[status].map((target) => (
          <button
            key={target}
            type="button"
            ref={target === 'archived' ? archiveButton : undefined}
            disabled={busy !== null || confirming}
            aria-describedby={NEXT[status] ? `${headingId}-next` : undefined}
            onClick={() => (target === 'archived' ? setConfirming(true) : void change(target))}
          >
            {busy === target ? LABEL[target].busy : LABEL[target].idle}
          </button>
        ))}
      </div>
      {NEXT[status] && (
        <p id={`${headingId}-next`} className="muted small">
          {NEXT[status]}
        </p>
      )}
      {confirming && (
        <div className="confirm" role="group" aria-labelledby={`${headingId}-confirm`}>
          <p id={`${headingId}-confirm`} ref={question} tabIndex={-1}>
            <strong>Archive {name}?</strong> Coaching ends: they get no more DMs and the bot takes nothing
            more from them. Their history stays here, and you can reactivate them later.
          </p>
          <div className="actions">
            <button type="button" className="danger" disabled={busy !== null} onClick={() => void change('archived')}>
              {busy === 'archived' ? LABEL.archived.busy : `Archive ${name}`}
            </button>
            <button type="button" className="quiet" disabled={busy !== null} onClick={cancel}>
              Cancel
            </button>
          </div>
        </div>
      )}
      <p role="status" className="ok small">
        {said}
      </p>
      {error ? <ErrorNotice error={error} /> : null}
    </section>
  );
}
