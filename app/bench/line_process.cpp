#include "line_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>
#include <stdexcept>

namespace emo::bench {

LineProcess::LineProcess(const std::string& label, const std::vector<std::string>& argv) : m_label(label)
{
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0)
        throw std::runtime_error(label + ": cannot make pipes");
    std::signal(SIGPIPE, SIG_IGN);  // a child that died answers through read(), not by killing the bench
    m_pid = fork();
    if (m_pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    m_toChild = in[1];
    m_fromChild = out[0];
    const std::string first = readLine();
    if (first != "ready")
        throw std::runtime_error(label + " did not start (" + (first.empty() ? "no answer" : first) + "): "
                                 + argv[0]);
}

LineProcess::~LineProcess()
{
    if (m_toChild >= 0) {
        const char quit[] = "quit\n";
        (void)!write(m_toChild, quit, sizeof quit - 1);
        close(m_toChild);
    }
    if (m_fromChild >= 0)
        close(m_fromChild);
    if (m_pid > 0) {
        int status = 0;
        waitpid(m_pid, &status, 0);
    }
}

std::string LineProcess::readLine()
{
    for (;;) {
        const auto newline = m_buffer.find('\n');
        if (newline != std::string::npos) {
            std::string line = m_buffer.substr(0, newline);
            m_buffer.erase(0, newline + 1);
            return line;
        }
        char chunk[4096];
        const ssize_t got = read(m_fromChild, chunk, sizeof chunk);
        if (got <= 0)
            return {};
        m_buffer.append(chunk, size_t(got));
    }
}

std::string LineProcess::request(const std::string& command)
{
    const std::string line = command + "\n";
    if (write(m_toChild, line.data(), line.size()) != ssize_t(line.size()))
        throw std::runtime_error(m_label + " has gone (writing \"" + command + "\")");
    std::string answer = readLine();
    if (answer.empty())
        throw std::runtime_error(m_label + " gave no answer to \"" + command + "\"");
    if (answer.rfind("error", 0) == 0)
        throw std::runtime_error(m_label + ": " + answer);
    return answer;
}

double LineProcess::field(const std::string& answer, const std::string& key)
{
    std::istringstream words(answer);
    std::string word;
    while (words >> word) {
        if (word == key) {
            double value = 0;
            if (words >> value)
                return value;
        }
    }
    throw std::runtime_error("answer \"" + answer + "\" has no " + key);
}

} // namespace emo::bench
