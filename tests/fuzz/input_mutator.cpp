#include "input_mutator.h"

#include "util/splitmix64.h"

#include <cctype>
#include <fstream>

namespace emo::fuzz {

namespace {

// Values at the edges of what size and offset fields hold.
const char* const kExtremeNumbers[] = {"0",  "-1", "1", "255", "65536", "2147483647", "4294967296",
                                       "9223372036854775807", "18446744073709551615", "1e308", "-1e308",
                                       "NaN", "Infinity", "1.5", "-0", "99999999999999999999999"};
const unsigned char kBoundaryBytes[] = {0x00, 0x01, 0x7f, 0x80, 0xff, '{', '}', '[', ']', '"', ',', ':', '\n', '\\', '9'};

} // namespace

InputMutator::InputMutator(uint64_t seed, std::vector<std::string> dictionary)
    : m_state(seed), m_dictionary(std::move(dictionary))
{
}

uint64_t InputMutator::next()
{
    m_state = util::splitmix64(m_state);
    return m_state;
}

std::size_t InputMutator::below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

std::string InputMutator::mutate(const std::string& input, const std::string& other)
{
    std::string s = input;
    const int edits = 1 + static_cast<int>(below(4));
    for (int e = 0; e < edits; ++e) {
        const std::size_t at = below(s.size() + 1);
        switch (below(9)) {
        case 0:  // flip one bit
            if (!s.empty())
                s[below(s.size())] ^= static_cast<char>(1u << below(8));
            break;
        case 1:  // a boundary byte
            if (!s.empty())
                s[below(s.size())] = static_cast<char>(kBoundaryBytes[below(sizeof kBoundaryBytes)]);
            break;
        case 2: {  // insert random bytes
            std::string bytes(1 + below(8), '\0');
            for (char& c : bytes)
                c = static_cast<char>(next());
            s.insert(at, bytes);
            break;
        }
        case 3:  // delete a range
            s.erase(at, 1 + below(32));
            break;
        case 4:  // duplicate a range
            if (at < s.size())
                s.insert(at, s.substr(at, 1 + below(64)));
            break;
        case 5:  // truncate
            s.resize(below(s.size() + 1));
            break;
        case 6:  // a dictionary token
            if (!m_dictionary.empty())
                s.insert(at, m_dictionary[below(m_dictionary.size())]);
            break;
        case 7: {  // a run of digits replaced by an extreme number
            std::size_t begin = at;
            while (begin < s.size() && !std::isdigit(static_cast<unsigned char>(s[begin])))
                ++begin;
            std::size_t end = begin;
            while (end < s.size() && std::isdigit(static_cast<unsigned char>(s[end])))
                ++end;
            if (begin < s.size())
                s.replace(begin, end - begin, kExtremeNumbers[below(sizeof kExtremeNumbers / sizeof *kExtremeNumbers)]);
            break;
        }
        case 8:  // splice: this input's head, the other's tail
            if (!other.empty())
                s = s.substr(0, at) + other.substr(below(other.size()));
            break;
        }
    }
    return s;
}

std::vector<std::string> InputMutator::readDictionary(const std::string& path)
{
    std::vector<std::string> tokens;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const auto open = line.find('"');
        const auto close = line.rfind('"');
        if (line.empty() || line[0] == '#' || open == std::string::npos || close <= open)
            continue;
        std::string token;
        for (std::size_t i = open + 1; i < close; ++i) {
            if (line[i] != '\\' || i + 1 >= close) {
                token += line[i];
            } else if (line[i + 1] == 'x' && i + 3 < close) {
                token += static_cast<char>(std::stoi(line.substr(i + 2, 2), nullptr, 16));
                i += 3;
            } else {
                token += line[++i];
            }
        }
        tokens.push_back(token);
    }
    return tokens;
}

} // namespace emo::fuzz
