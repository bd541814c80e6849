#pragma once
#include <string>
#include <vector>

namespace emo::bench {

// A child process spoken to one line at a time: a command on its stdin, one answer line from its stdout.
// The child's stderr stays the bench's. Used for the engine's step server and the PyTorch-eager twin alike.
class LineProcess {
public:
    // Starts argv[0] (searched in PATH) and waits for its first line, which must be "ready".
    // Throws std::runtime_error naming `label` when it cannot start or says something else.
    LineProcess(const std::string& label, const std::vector<std::string>& argv);
    ~LineProcess();  // "quit", then waits for the child
    LineProcess(const LineProcess&) = delete;
    LineProcess& operator=(const LineProcess&) = delete;

    // Sends `command`, returns the answer line; throws std::runtime_error when the child has gone.
    std::string request(const std::string& command);
    // The number after `key` in an answer such as "seconds 0.5 loss 3.2"; throws when it is missing.
    static double field(const std::string& answer, const std::string& key);

    const std::string& label() const { return m_label; }

private:
    std::string readLine();

    std::string m_label;
    int m_pid = -1;
    int m_toChild = -1;
    int m_fromChild = -1;
    std::string m_buffer;
};

} // namespace emo::bench
