#include "inspect/token_transport.h"

#include "inspect/inspector.h"
#include "transport/demd.h"
#include "transport/exact_emd.h"
#include "util/error.h"

#include <algorithm>

namespace emo::inspect {

TransportReport transportAtToken(const Inspector& inspector, const InspectReport& report, int64_t tokenIndex)
{
    if (tokenIndex < 0 || tokenIndex >= static_cast<int64_t>(report.tokens.size()))
        throw Error::badInput("transport plan: inspect a text and pick one of its tokens first");
    const auto& token = report.tokens[static_cast<size_t>(tokenIndex)];
    std::vector<int64_t> ids;
    std::vector<double> q;
    for (const auto& c : token.topk) {
        ids.push_back(c.id);
        q.push_back(c.p);
    }
    if (std::find(ids.begin(), ids.end(), token.id) == ids.end()) {
        ids.push_back(token.id);
        q.push_back(token.pGold);
    }
    double total = 0.0;
    for (double v : q)
        total += v;
    TransportReport out;
    out.costs = inspector.costMatrixFor(ids);
    for (size_t i = 0; i < ids.size(); ++i) {
        out.source.push_back(q[i] / total);
        out.target.push_back(ids[i] == token.id ? 1.0 : 0.0);
    }
    out.sourceLabel = "model q at token " + std::to_string(tokenIndex) + " (top " + std::to_string(token.topk.size()) +
                      ", renormalised)";
    out.targetLabel = "data: '" + token.text + "'";
    out.plan = transport::exactEmd(out.source, out.target, out.costs.cost);
    out.demd = transport::demd(out.source, out.target, out.costs.cost);
    return out;
}

} // namespace emo::inspect
