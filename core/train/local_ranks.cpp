#include "train/local_ranks.h"

#include "util/error.h"

#include <arpa/inet.h>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace emo::train {
namespace {

std::vector<pid_t> g_children;  // for the signal handler, which can reach only a global

void forwardSignal(int signal)
{
    for (pid_t child : g_children)
        ::kill(child, signal);
}

} // namespace

int freeLoopbackPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        if (fd >= 0)
            ::close(fd);
        throw Error::runtime(std::string("cannot find a free port on 127.0.0.1: ") + std::strerror(errno));
    }
    const int port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

std::vector<std::string> argumentsWithoutNproc()
{
    std::ifstream file("/proc/self/cmdline", std::ios::binary);
    const std::string all((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::vector<std::string> arguments;
    for (std::size_t begin = 0; begin < all.size();) {
        const std::size_t end = all.find('\0', begin);
        arguments.push_back(all.substr(begin, end - begin));
        begin = end == std::string::npos ? all.size() : end + 1;
    }
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < arguments.size(); ++i) {
        if (arguments[i] == "--nproc") {
            ++i;
            continue;
        }
        if (arguments[i].rfind("--nproc=", 0) == 0)
            continue;
        kept.push_back(arguments[i]);
    }
    return kept;
}

int runLocalRanks(const std::vector<std::string>& arguments, int processes, int port, int threadsEach)
{
    const int threads = std::max(1, threadsEach);

    struct sigaction forward{};
    forward.sa_handler = forwardSignal;
    sigemptyset(&forward.sa_mask);
    sigaction(SIGTERM, &forward, nullptr);
    // Ctrl-C on a terminal reaches the whole process group, the ranks included; the launcher waits for them.
    signal(SIGINT, SIG_IGN);

    for (int rank = 0; rank < processes; ++rank) {
        const pid_t pid = ::fork();
        if (pid < 0)
            throw Error::runtime(std::string("cannot start rank ") + std::to_string(rank) + ": " + std::strerror(errno));
        if (pid == 0) {
            signal(SIGINT, SIG_DFL);
            setenv("RANK", std::to_string(rank).c_str(), 1);
            setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
            setenv("WORLD_SIZE", std::to_string(processes).c_str(), 1);
            setenv("MASTER_ADDR", "127.0.0.1", 1);
            setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
            setenv("OMP_NUM_THREADS", std::to_string(threads).c_str(), 0);
            std::vector<char*> argv;
            for (const std::string& argument : arguments)
                argv.push_back(const_cast<char*>(argument.c_str()));
            argv.push_back(nullptr);
            ::execv("/proc/self/exe", argv.data());
            std::cerr << "cannot start rank " << rank << ": " << std::strerror(errno) << "\n";
            _exit(1);
        }
        g_children.push_back(pid);
    }

    int result = 0;
    std::size_t running = g_children.size();
    bool failed = false;
    auto failedAt = std::chrono::steady_clock::now();
    while (running > 0) {
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, failed ? WNOHANG : 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0)
            break;
        if (pid == 0) {  // after a failure the others have 30 s to see it and exit; then they are stopped
            if (std::chrono::steady_clock::now() - failedAt > std::chrono::seconds(30))
                forwardSignal(SIGKILL);
            ::usleep(200 * 1000);
            continue;
        }
        --running;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && !failed) {
            result = code;
            failed = true;
            failedAt = std::chrono::steady_clock::now();
        }
    }
    g_children.clear();
    return result;
}

} // namespace emo::train
