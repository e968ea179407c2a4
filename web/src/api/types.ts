// Names for the generated OpenAPI types (schema.d.ts is the only source of API types).
import type { components, operations } from './schema';

type Schemas = components['schemas'];

export type CoachSession = Schemas['CoachSession'];
export type ErrorResponse = Schemas['ErrorResponse'];
export type ErrorDetail = Schemas['ErrorDetail'];

export type ClientSummary = Schemas['ClientSummary'];
export type ClientDetail = Schemas['ClientDetail'];
export type ClientProfile = Schemas['ClientProfile'];
export type ClientUpdate = Schemas['ClientUpdate'];
export type ClientStatus = Schemas['ClientStatus'];
export type StatusChange = Schemas['StatusChange'];
export type CheckinToday = Schemas['CheckinToday'];
export type Compliance = Schemas['Compliance'];
export type DayCompliance = Schemas['DayCompliance'];
export type JobCardProgress = Schemas['JobCardProgress'];
export type FlagCounts = Schemas['FlagCounts'];
export type Goal = Schemas['Goal'];
export type Targets = Schemas['Targets'];
export type Weekday = Schemas['Weekday'];
export type RosterSort = Schemas['RosterSort'];
export type SortOrder = Schemas['SortOrder'];
export type RosterQuery = NonNullable<operations['roster_list']['parameters']['query']>;

export type ClientCharts = Schemas['ClientCharts'];
export type WeightPoint = Schemas['WeightPoint'];
export type NutritionPoint = Schemas['NutritionPoint'];

export type TimelineEntry = Schemas['TimelinePage']['items'][number];
export type EntryKind = Schemas['EntryKind'];
export type MealEntry = Schemas['MealEntry'];
export type DeliveryView = Schemas['DeliveryView'];
export type DeliveryStatus = Schemas['DeliveryStatus'];

export type FlagView = Schemas['FlagView'];
export type FlagCode = Schemas['FlagCode'];
export type FlagSeverity = Schemas['FlagSeverity'];
export type FlagSource = Schemas['FlagSource'];
export type FlagStatus = Schemas['FlagStatus'];
export type Evidence = Schemas['Evidence'];
export type ScanQueued = Schemas['ScanQueued'];
export type FlagsQuery = NonNullable<operations['flags_list']['parameters']['query']>;

export type Lst = Schemas['Lst'];
export type LstTrigger = Schemas['LstTrigger'];
export type ClientSchedule = Schemas['ClientSchedule'];
export type ScheduleEntry = Schemas['ScheduleEntry'];
export type OverrideRequest = Schemas['OverrideRequest'];
export type UpcomingFire = Schemas['UpcomingFire'];

export type Health = Schemas['Health'];
export type SystemStatus = Schemas['SystemStatus'];
export type DeadLetter = Schemas['DeadLetter'];
