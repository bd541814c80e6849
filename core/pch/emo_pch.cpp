// Carries the precompiled header that the core targets reuse.
