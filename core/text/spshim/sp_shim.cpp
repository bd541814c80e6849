// libemo_spshim.so: the only code that links sentencepiece. Every entry point catches everything, so no
// C++ exception crosses the C boundary into a process built against another runtime state.
#include "sp_shim_api.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

struct emo_sp_model {
    sentencepiece::SentencePieceProcessor processor;
};

namespace {

// Per thread, so concurrent callers do not read each other's messages.
thread_local std::string lastError;

void setError(const std::string& message) { lastError = message; }

template <typename Result, typename Body>
Result guarded(Result onFailure, Body&& body)
{
    try {
        lastError.clear();
        return body();
    } catch (const std::exception& e) {
        setError(std::string("sentencepiece shim: ") + e.what());
    } catch (...) {
        setError("sentencepiece shim: unknown exception");
    }
    return onFailure;
}

} // namespace

extern "C" {

int emo_sp_api_version(void) { return EMO_SP_SHIM_API_VERSION; }

const char* emo_sp_last_error(void) { return lastError.c_str(); }

emo_sp_model* emo_sp_load(const char* model_path)
{
    return guarded<emo_sp_model*>(nullptr, [&]() -> emo_sp_model* {
        auto model = std::make_unique<emo_sp_model>();
        const auto status = model->processor.Load(model_path);
        if (!status.ok()) {
            setError(std::string(model_path) + ": " + status.ToString());
            return nullptr;
        }
        return model.release();
    });
}

void emo_sp_free(emo_sp_model* model) { delete model; }

int64_t emo_sp_encode(const emo_sp_model* model, const char* text, size_t text_size, int32_t** ids)
{
    return guarded<int64_t>(-1, [&]() -> int64_t {
        std::vector<int> out;
        const auto status = model->processor.Encode(std::string(text, text_size), &out);
        if (!status.ok()) {
            setError("encode: " + status.ToString());
            return -1;
        }
        auto* buffer = static_cast<int32_t*>(std::malloc(sizeof(int32_t) * (out.size() + 1)));
        if (!buffer) {
            setError("encode: out of memory");
            return -1;
        }
        for (size_t i = 0; i < out.size(); ++i)
            buffer[i] = out[i];
        *ids = buffer;
        return static_cast<int64_t>(out.size());
    });
}

void emo_sp_free_ids(int32_t* ids) { std::free(ids); }

int64_t emo_sp_decode(const emo_sp_model* model, const int32_t* ids, size_t count, char** text)
{
    return guarded<int64_t>(-1, [&]() -> int64_t {
        const int size = model->processor.GetPieceSize();
        std::vector<int> in(ids, ids + count);
        for (int id : in)
            if (id < 0 || id >= size) {
                setError("decode: id " + std::to_string(id) + " is outside the vocabulary (size "
                         + std::to_string(size) + ")");
                return -1;
            }
        std::string out;
        const auto status = model->processor.Decode(in, &out);
        if (!status.ok()) {
            setError("decode: " + status.ToString());
            return -1;
        }
        auto* buffer = static_cast<char*>(std::malloc(out.size() + 1));
        if (!buffer) {
            setError("decode: out of memory");
            return -1;
        }
        std::memcpy(buffer, out.data(), out.size());
        buffer[out.size()] = '\0';
        *text = buffer;
        return static_cast<int64_t>(out.size());
    });
}

void emo_sp_free_text(char* text) { std::free(text); }

int32_t emo_sp_vocab_size(const emo_sp_model* model)
{
    return guarded<int32_t>(-1, [&] { return static_cast<int32_t>(model->processor.GetPieceSize()); });
}

const char* emo_sp_id_to_piece(const emo_sp_model* model, int32_t id)
{
    return guarded<const char*>(nullptr, [&]() -> const char* {
        if (id < 0 || id >= model->processor.GetPieceSize()) {
            setError("id " + std::to_string(id) + " is outside the vocabulary");
            return nullptr;
        }
        return model->processor.IdToPiece(id).c_str();
    });
}

int32_t emo_sp_piece_to_id(const emo_sp_model* model, const char* piece, size_t piece_size)
{
    return guarded<int32_t>(-1, [&]() -> int32_t {
        const std::string wanted(piece, piece_size);
        const int id = model->processor.PieceToId(wanted);
        // PieceToId answers unk_id for unknown pieces; only the unk piece itself may map there.
        if (id == model->processor.unk_id() && model->processor.IdToPiece(id) != wanted)
            return -1;
        return id;
    });
}

int32_t emo_sp_bos_id(const emo_sp_model* model) { return guarded<int32_t>(-1, [&] { return model->processor.bos_id(); }); }
int32_t emo_sp_eos_id(const emo_sp_model* model) { return guarded<int32_t>(-1, [&] { return model->processor.eos_id(); }); }
int32_t emo_sp_pad_id(const emo_sp_model* model) { return guarded<int32_t>(-1, [&] { return model->processor.pad_id(); }); }
int32_t emo_sp_unk_id(const emo_sp_model* model) { return guarded<int32_t>(-1, [&] { return model->processor.unk_id(); }); }

int emo_sp_is_control(const emo_sp_model* model, int32_t id)
{
    return guarded<int>(0, [&] {
        return (model->processor.IsControl(id) || model->processor.IsUnused(id)) ? 1 : 0;
    });
}

int emo_sp_train(const char* input_path, const char* model_prefix, int32_t vocab_size, const char* model_type,
                 double character_coverage, const char* extra_options)
{
    return guarded<int>(-1, [&]() -> int {
        // The map form keeps paths with spaces intact (the string form splits on spaces).
        std::unordered_map<std::string, std::string> args;
        if (extra_options) {
            std::istringstream words(extra_options);
            std::string word;
            while (words >> word) {
                while (!word.empty() && word.front() == '-')
                    word.erase(word.begin());
                const auto equals = word.find('=');
                if (word.empty())
                    continue;
                if (equals == std::string::npos)
                    args[word] = "true";
                else
                    args[word.substr(0, equals)] = word.substr(equals + 1);
            }
        }
        // Its INFO and WARNING lines (dozens, from trainer_interface.cc) would bury our one message; the
        // status it returns says what failed. An extra option "minloglevel=0" brings them back.
        args.emplace("minloglevel", "2");
        args["input"] = input_path;
        args["model_prefix"] = model_prefix;
        args["vocab_size"] = std::to_string(vocab_size);
        args["model_type"] = model_type ? model_type : "unigram";
        std::ostringstream coverage;
        coverage.precision(17);
        coverage << character_coverage;
        args["character_coverage"] = coverage.str();
        const auto status = sentencepiece::SentencePieceTrainer::Train(args);
        if (!status.ok()) {
            setError(std::string("training on ") + input_path + ": " + status.ToString());
            return -1;
        }
        return 0;
    });
}

} // extern "C"
