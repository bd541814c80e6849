#pragma once
#include "text/spshim/sp_shim_api.h"

#include <memory>
#include <string>

namespace emo::text {

// libemo_spshim.so, dlopen()ed with RTLD_NOW|RTLD_LOCAL|RTLD_DEEPBIND so that sentencepiece's protobuf
// never meets libtorch's (DESIGN.md, known traps). Looked for, in order: $EMO_SPSHIM (a file), next to
// the running executable (and in ../lib), the install libdir, the build tree. Never dlclose()d: the
// loader shares one handle per process anyway, and unloading protobuf's static state is not safe.
class SentencePieceLibrary {
public:
    // Throws emo::Error(Runtime) listing every place tried and why each failed.
    static std::shared_ptr<const SentencePieceLibrary> load();

    const std::string& path() const { return m_path; }

    // The shim's C API (see sp_shim_api.h), resolved at load.
    decltype(&emo_sp_last_error) lastError = nullptr;
    decltype(&emo_sp_load) loadModel = nullptr;
    decltype(&emo_sp_free) freeModel = nullptr;
    decltype(&emo_sp_encode) encode = nullptr;
    decltype(&emo_sp_free_ids) freeIds = nullptr;
    decltype(&emo_sp_decode) decode = nullptr;
    decltype(&emo_sp_free_text) freeText = nullptr;
    decltype(&emo_sp_vocab_size) vocabSize = nullptr;
    decltype(&emo_sp_id_to_piece) idToPiece = nullptr;
    decltype(&emo_sp_piece_to_id) pieceToId = nullptr;
    decltype(&emo_sp_bos_id) bosId = nullptr;
    decltype(&emo_sp_eos_id) eosId = nullptr;
    decltype(&emo_sp_pad_id) padId = nullptr;
    decltype(&emo_sp_unk_id) unkId = nullptr;
    decltype(&emo_sp_is_control) isControl = nullptr;
    decltype(&emo_sp_train) train = nullptr;

private:
    SentencePieceLibrary() = default;
    std::string m_path;
};

} // namespace emo::text
