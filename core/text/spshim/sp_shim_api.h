#pragma once
/* The C API of libemo_spshim.so: sentencepiece behind plain C calls, so that the engine can dlopen it with
 * RTLD_LOCAL|RTLD_DEEPBIND and never link sentencepiece (whose exported protobuf symbols crash a process
 * that also links libtorch, see DESIGN.md). Nothing here throws; failures return NULL or -1 and leave a
 * message for emo_sp_last_error() on the calling thread. Ids are raw sentencepiece ids. */
#include <stddef.h>
#include <stdint.h>

#if defined(EMO_SPSHIM_BUILDING)
#define EMO_SP_EXPORT __attribute__((visibility("default")))
#else
#define EMO_SP_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define EMO_SP_SHIM_API_VERSION 1

typedef struct emo_sp_model emo_sp_model;

EMO_SP_EXPORT int emo_sp_api_version(void);
/* The message of the last failure on this thread ("" when none). Valid until the next call on this thread. */
EMO_SP_EXPORT const char* emo_sp_last_error(void);

EMO_SP_EXPORT emo_sp_model* emo_sp_load(const char* model_path);
EMO_SP_EXPORT void emo_sp_free(emo_sp_model* model);

/* Encodes `text_size` bytes of UTF-8 into *ids (allocated by the shim, released with emo_sp_free_ids).
 * Returns the number of ids, or -1. */
EMO_SP_EXPORT int64_t emo_sp_encode(const emo_sp_model* model, const char* text, size_t text_size, int32_t** ids);
EMO_SP_EXPORT void emo_sp_free_ids(int32_t* ids);

/* Decodes ids into *text (NUL-terminated, allocated by the shim, released with emo_sp_free_text).
 * Returns the byte length, or -1. */
EMO_SP_EXPORT int64_t emo_sp_decode(const emo_sp_model* model, const int32_t* ids, size_t count, char** text);
EMO_SP_EXPORT void emo_sp_free_text(char* text);

EMO_SP_EXPORT int32_t emo_sp_vocab_size(const emo_sp_model* model);
/* The piece of an id (valid as long as the model), or NULL for an id outside the vocabulary. */
EMO_SP_EXPORT const char* emo_sp_id_to_piece(const emo_sp_model* model, int32_t id);
/* The id of a piece, or -1 when the vocabulary does not have it (not the unk id). */
EMO_SP_EXPORT int32_t emo_sp_piece_to_id(const emo_sp_model* model, const char* piece, size_t piece_size);
EMO_SP_EXPORT int32_t emo_sp_bos_id(const emo_sp_model* model); /* -1 when disabled */
EMO_SP_EXPORT int32_t emo_sp_eos_id(const emo_sp_model* model);
EMO_SP_EXPORT int32_t emo_sp_pad_id(const emo_sp_model* model);
EMO_SP_EXPORT int32_t emo_sp_unk_id(const emo_sp_model* model);
/* 1 for control (<s>, </s>, ...) and unused ids, which decode to nothing. */
EMO_SP_EXPORT int emo_sp_is_control(const emo_sp_model* model, int32_t id);

/* Trains a model from a text file (one sentence per line) and writes <model_prefix>.model and .vocab.
 * model_type: "unigram", "bpe", "char" or "word". extra_options: further trainer flags as
 * "--name=value" words separated by spaces (may be NULL or ""). Returns 0, or -1. */
EMO_SP_EXPORT int emo_sp_train(const char* input_path, const char* model_prefix, int32_t vocab_size, const char* model_type,
                 double character_coverage, const char* extra_options);

#ifdef __cplusplus
}
#endif
