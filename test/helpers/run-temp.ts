// Names in the run's temporary folder (test/helpers/global-setup.ts) that several test files share
// (the packed consumer project of test/helpers/consumer.ts) and the global teardown removes.
export const SHARED_ENTRIES = ['consumer', 'consumer.lock', 'consumer.failed', 'pack', 'shared'];
