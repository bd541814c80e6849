// Carries the precompiled header that the test targets reuse.
