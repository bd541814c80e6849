#pragma once
#include "util/error.h"
#include "util/progress.h"

#include <cstdint>
#include <string>

namespace emo::experiment {

// Cancellation and the progress line of an experiment, shared by every stage: done/total count runs.
class ExperimentReporter {
public:
    ExperimentReporter(const ProgressCallback& callback, int64_t totalRuns) : m_callback(callback), m_total(totalRuns) {}

    void setRunsDone(int64_t done) { m_done = done; }
    // false when the user asked to stop
    bool report(const std::string& stage)
    {
        if (!m_callback)
            return true;
        Progress p;
        p.stage = stage;
        p.done = m_done;
        p.total = m_total;
        return m_callback(p);
    }
    // Error::cancelled when the user asked to stop
    void check(const std::string& stage)
    {
        if (!report(stage))
            throw Error::cancelled();
    }

private:
    const ProgressCallback& m_callback;
    int64_t m_total;
    int64_t m_done = 0;
};

} // namespace emo::experiment
