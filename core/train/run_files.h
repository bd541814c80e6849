#pragma once
#include "train/train_types.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

// The files of a run folder other than the model and the trainer state: run.json, metrics.jsonl, and the
// tokenizer files copied from the starting model.
namespace emo::train {

inline const char* const kRunJson = "run.json";
inline const char* const kMetricsJsonl = "metrics.jsonl";
inline const char* const kCostEmbeddingFile = "cost_embedding.safetensors";
inline const char* const kTrainerStateFile = "trainer_state.safetensors";

nlohmann::json settingsToJson(const TrainSettings& settings);
// Throws emo::Error(BadInput) naming `source` and the field.
TrainSettings settingsFromJson(const nlohmann::json& json, const std::string& source);

// One record; non-finite numbers are written as null. `type` is "step" or "validation".
nlohmann::json progressToJson(const TrainProgress& progress, const std::string& type);
TrainProgress progressFromJson(const nlohmann::json& json);

// run.json: {"format":1, "status", "message", "settings", "model", "data", "step", "total_steps",
// "best_step", "best_validation_loss", "history": {"steps": [...], "validations": [...]}}.
struct RunRecord {
    std::string status;   // "running" | "completed" | "cancelled" | "failed"
    std::string message;
    TrainSettings settings;
    nlohmann::json model = nlohmann::json::object();  // architecture, parameter count, vocabulary
    nlohmann::json data = nlohmann::json::object();   // block counts, tokens
    int64_t step = 0;
    int64_t totalSteps = 0;
    int64_t bestStep = 0;
    double bestValidationLoss = TrainProgress::none;
    std::vector<TrainProgress> steps;
    std::vector<TrainProgress> validations;
};
void writeRunJson(const std::string& path, const RunRecord& record);  // atomically
RunRecord readRunJson(const std::string& path);                       // throws BadInput naming the file

// metrics.jsonl: one JSON line per step and per validation, appended and flushed as the run goes.
void appendMetricsLine(const std::string& path, const nlohmann::json& line);
// metrics.jsonl read back: the step and the validation records in file order. Lines that do not parse are
// skipped (a run killed mid-write may leave half a line); a missing file throws BadInput naming it.
struct MetricsLog {
    std::vector<TrainProgress> steps;
    std::vector<TrainProgress> validations;
};
MetricsLog readMetrics(const std::string& path);
// Keeps only the lines whose step ≤ `lastStep` (and that parse), rewriting the file atomically; used on
// resume to drop what an interrupted run logged after its last saved state.
void truncateMetrics(const std::string& path, int64_t lastStep);

// Copies the tokenizer files found in `fromFolder` (vocab.json, merges.txt, tokenizer.json,
// tokenizer.model, tokenizer_config.json, special_tokens_map.json, ...) to `toFolder`, atomically.
// Returns the names copied.
std::vector<std::string> copyTokenizerFiles(const std::string& fromFolder, const std::string& toFolder);

// Copies one file byte for byte, atomically.
void copyFileAtomically(const std::string& from, const std::string& to);

} // namespace emo::train
