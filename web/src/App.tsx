import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router';
import { RequireCoach } from './auth/RequireCoach';
import { SessionWatcher } from './auth/SessionWatcher';
import { Loading } from './components/States';
import { FlagsPage } from './flags/FlagsPage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { RosterPage } from './roster/RosterPage';
import { SchedulePage } from './schedule/SchedulePage';
import { SystemPage } from './system/SystemPage';

// The client page brings the charting library: loaded when first opened, so the roster
// (the page a coach opens first) does not wait for it.
const ClientPage = lazy(() => import('./client/ClientPage'));

export function App() {
  return (
    <>
      <SessionWatcher />
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route element={<RequireCoach />}>
          <Route index element={<RosterPage />} />
          <Route
            path="clients/:clientId"
            element={
              <Suspense fallback={<Loading what="the client page" />}>
                <ClientPage />
              </Suspense>
            }
          />
          <Route path="flags" element={<FlagsPage />} />
          <Route path="schedule" element={<SchedulePage />} />
          <Route path="system" element={<SystemPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </>
  );
}
