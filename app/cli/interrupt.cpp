#include "interrupt.h"

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace emo::cli {
namespace {
std::atomic<bool> g_interrupted{false};  // the one piece of process state: a signal can only reach a global

void onInterrupt(int)
{
    if (g_interrupted.exchange(true))
        _exit(130);
    const char message[] = "\nemo: stopping at the next step (Ctrl-C again to quit at once)\n";
    (void)!write(STDERR_FILENO, message, sizeof message - 1);
}
} // namespace

void installInterruptHandler()
{
    struct sigaction action{};
    action.sa_handler = onInterrupt;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool interruptRequested() { return g_interrupted.load(); }

} // namespace emo::cli
