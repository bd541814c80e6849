#pragma once

namespace emo::cli {

// Ctrl-C during long work asks the work to stop at its next check (progress callbacks return false)
// instead of killing the process, so a training run saves a resumable state first. A second Ctrl-C
// exits at once.
void installInterruptHandler();
bool interruptRequested();

} // namespace emo::cli
