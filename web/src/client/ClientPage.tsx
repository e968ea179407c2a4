import { useParams } from 'react-router';
import { useClient } from '../api/hooks';
import { Resource } from '../components/States';
import { ChartsPanel } from './ChartsPanel';
import { ClientFlags } from './ClientFlags';
import { ClientHeader } from './ClientHeader';
import { DeliveriesPanel } from './DeliveriesPanel';
import { ExportLinks } from './ExportLinks';
import { ProfileForm } from './ProfileForm';
import { SchedulePanel } from './SchedulePanel';
import { SendMessage } from './SendMessage';
import { TimelinePanel } from './TimelinePanel';

/** Loaded on demand (the charting library comes with it): the roster stays light. */
export default function ClientPage() {
  const { clientId = '' } = useParams();
  const client = useClient(clientId);
  return (
    <Resource result={client} what="the client">
      {(detail) => {
        const { profile } = detail;
        return (
          // Keyed by client: another client's page starts with fresh forms.
          <article key={profile.id} className="page client-page">
            <ClientHeader detail={detail} />
            <div className="grid">
              <ChartsPanel clientId={profile.id} />
              <ClientFlags clientId={profile.id} />
              <div className="column">
                <SendMessage profile={profile} />
                <DeliveriesPanel clientId={profile.id} timeZone={profile.time_zone} />
              </div>
              <ProfileForm profile={profile} />
              <div className="column">
                <SchedulePanel clientId={profile.id} />
                <ExportLinks clientId={profile.id} />
              </div>
              <TimelinePanel clientId={profile.id} timeZone={profile.time_zone} />
            </div>
          </article>
        );
      }}
    </Resource>
  );
}
