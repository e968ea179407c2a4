import { useState, type ReactNode } from 'react';
import { Link, NavLink } from 'react-router';
import type { CoachSession } from '../api/types';
import { useLogout } from '../auth/actions';
import { ErrorNotice } from './States';
import { RateLimitBanner } from './RateLimitBanner';

const SECTIONS = [
  { to: '/', label: 'Roster' },
  { to: '/flags', label: 'Flags' },
  { to: '/schedule', label: 'Schedule' },
  { to: '/system', label: 'System' },
];

function LogoutButton() {
  const logout = useLogout();
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button type="button" className="quiet" onClick={() => logout().catch(setError)}>
        Log out
      </button>
      {error ? <ErrorNotice error={error} /> : null}
    </>
  );
}

export function Layout({ coach, children }: { coach: CoachSession | undefined; children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Battle Station
        </Link>
        <nav aria-label="Sections">
          {SECTIONS.map(({ to, label }) => (
            <NavLink key={to} to={to} end={to === '/'}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="who">
          {coach && <span title={`Discord id ${coach.discord_user_id}`}>{coach.username}</span>}
          <LogoutButton />
        </div>
      </header>
      <RateLimitBanner />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** The login, not-a-coach and session pages: one centred card, no navigation. */
export function FullPage({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="full-page">
      <div className="card">
        <h1>{title}</h1>
        {children}
      </div>
      <RateLimitBanner />
    </main>
  );
}
