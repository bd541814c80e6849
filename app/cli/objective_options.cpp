#include "objective_options.h"
#include "option_checks.h"

#include "util/error.h"

namespace emo::cli {

void ObjectiveOptions::declareObjective(CLI::App& command)
{
    command.add_option("--objective", objectiveName, "mle | emo | tailr | mixce")
        ->check(CLI::IsMember({"mle", "emo", "tailr", "mixce"}))->required();
}

void ObjectiveOptions::declareParameters(CLI::App& command)
{
    command.add_option("--emo-mode", emoMode, "EMO variant: paper (GPT-2 recipe) | pure (DEMD only) | llama")
        ->check(CLI::IsMember({"paper", "pure", "llama"}))->capture_default_str();
    command.add_option("--emo-ratio-cap", defaults.emoRatioCap, "Cap of the stop-gradient ratio (0 = off)")
        ->check(finiteAtLeast(0.0))->capture_default_str();
    command.add_option("--gamma", defaults.tailrGamma, "TaiLr gamma")->check(finiteIn(0.0, 1.0))->capture_default_str();
    command.add_option("--tailr-min-weight", defaults.tailrMinWeight, "TaiLr lower clamp of the token weight")
        ->check(finiteIn(0.0, 1.0))->capture_default_str();
    command.add_option("--tailr-form", tailrForm,
                       "TaiLr as its paper writes it (paper: --gamma) or as the EMO paper ran it (mixed: "
                       "r*mle + (1-r)*w*mle with gamma = 1-r, r = --tailr-mix)")
        ->check(CLI::IsMember({"paper", "mixed"}))->capture_default_str();
    command.add_option("--tailr-mix", defaults.tailrMix, "MLE share r of --tailr-form mixed (1 = MLE)")
        ->check(finiteIn(0.0, 1.0))->capture_default_str();
    command.add_option("--eta", defaults.mixceEta, "MixCE mixing ratio (1 = MLE)")->check(finiteIn(0.0, 1.0))->capture_default_str();
}

objective::ObjectiveSettings ObjectiveOptions::settings() const
{
    objective::ObjectiveSettings s = defaults;
    if (!objective::parseObjectiveKind(objectiveName, &s.kind))
        throw Error::badInput("--objective " + objectiveName + ": expected mle, emo, tailr or mixce");
    if (!objective::parseEmoMode(emoMode, &s.emoMode))
        throw Error::badInput("--emo-mode " + emoMode + ": expected paper, pure or llama");
    if (!objective::parseTailrForm(tailrForm, &s.tailrForm))
        throw Error::badInput("--tailr-form " + tailrForm + ": expected paper or mixed");
    return s;
}

} // namespace emo::cli
