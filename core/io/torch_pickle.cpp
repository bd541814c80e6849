#include "io/torch_pickle.h"

#include "util/error.h"

#include <cstring>
#include <memory>
#include <unordered_map>

namespace emo::io {

namespace {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
    enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
    Kind kind = Kind::None;
    int64_t integer = 0;                                 // Bool, Int, Storage (elements)
    double real = 0.0;                                   // Float
    std::string text;                                    // String, Bytes, Global ("module.name"), Storage key
    std::vector<ValuePtr> items;                         // Tuple, List
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict
    PickledTensor tensor;                                // Tensor; Storage uses its dtype
};

ValuePtr make(Value::Kind kind)
{
    auto value = std::make_shared<Value>();
    value->kind = kind;
    return value;
}

// The typed storages torch.save names in a persistent id, and their element types.
struct StorageType {
    const char* global;
    torch::ScalarType dtype;
};
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", torch::kFloat32}, {"torch.HalfStorage", torch::kFloat16},
    {"torch.BFloat16Storage", torch::kBFloat16}, {"torch.DoubleStorage", torch::kFloat64},
    {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
    {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
    {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool},
};

// Globals a state dict may name. Each is data, or a rebuild function applied below; nothing is imported.
constexpr const char* kKnownGlobals[] = {
    "collections.OrderedDict",        "torch._utils._rebuild_tensor",         "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2", "torch.Tensor", "torch.nn.parameter.Parameter",
};

class StateDictUnpickler {
public:
    StateDictUnpickler(const std::string& bytes, const std::string& where) : m_bytes(bytes), m_where(where) {}

    ValuePtr run()
    {
        while (true) {
            const unsigned char op = byte();
            switch (op) {
            case 0x80: byte(); break;                                   // PROTO
            case 0x95: take(8); break;                                  // FRAME
            case '.': return pop();                                     // STOP
            case '(': m_marks.push_back(m_stack.size()); break;         // MARK
            case '0': pop(); break;                                     // POP
            case '1': popMark(); break;                                 // POP_MARK
            case '2': push(top()); break;                               // DUP
            case 'N': push(make(Value::Kind::None)); break;
            case 0x88: case 0x89: {                                     // NEWTRUE, NEWFALSE
                auto value = make(Value::Kind::Bool);
                value->integer = op == 0x88;
                push(value);
                break;
            }
            case 'K': pushInt(int64_t(unsigned(byte()))); break;        // BININT1
            case 'M': pushInt(int64_t(little(2))); break;               // BININT2
            case 'J': pushInt(int64_t(int32_t(uint32_t(little(4))))); break;  // BININT
            case 0x8a: pushLong(byte()); break;                         // LONG1
            case 0x8b: pushLong(little(4)); break;                      // LONG4
            case 'G': {                                                 // BINFLOAT, big-endian
                uint64_t bits = 0;
                for (unsigned char c : take(8))
                    bits = (bits << 8) | c;
                auto value = make(Value::Kind::Float);
                std::memcpy(&value->real, &bits, 8);
                push(value);
                break;
            }
            case 'X': pushText(Value::Kind::String, little(4)); break;  // BINUNICODE
            case 0x8c: pushText(Value::Kind::String, byte()); break;    // SHORT_BINUNICODE
            case 0x8d: pushText(Value::Kind::String, little(8)); break; // BINUNICODE8
            case 'U': pushText(Value::Kind::String, byte()); break;     // SHORT_BINSTRING
            case 'T': pushText(Value::Kind::String, little(4)); break;  // BINSTRING
            case 'C': pushText(Value::Kind::Bytes, byte()); break;      // SHORT_BINBYTES
            case 'B': pushText(Value::Kind::Bytes, little(4)); break;   // BINBYTES
            case ')': push(make(Value::Kind::Tuple)); break;            // EMPTY_TUPLE
            case 0x85: case 0x86: case 0x87: {                          // TUPLE1..3
                auto tuple = make(Value::Kind::Tuple);
                tuple->items.resize(op - 0x84);
                for (std::size_t i = tuple->items.size(); i-- > 0;)
                    tuple->items[i] = pop();
                push(tuple);
                break;
            }
            case 't': {                                                 // TUPLE
                auto tuple = make(Value::Kind::Tuple);
                tuple->items = popMark();
                push(tuple);
                break;
            }
            case ']': push(make(Value::Kind::List)); break;             // EMPTY_LIST
            case 'l': {                                                 // LIST
                auto list = make(Value::Kind::List);
                list->items = popMark();
                push(list);
                break;
            }
            case 'a': {                                                 // APPEND
                auto item = pop();
                expect(top(), Value::Kind::List, "APPEND")->items.push_back(item);
                break;
            }
            case 'e': {                                                 // APPENDS
                auto items = popMark();
                auto& list = expect(top(), Value::Kind::List, "APPENDS")->items;
                list.insert(list.end(), items.begin(), items.end());
                break;
            }
            case '}': push(make(Value::Kind::Dict)); break;             // EMPTY_DICT
            case 'd': {                                                 // DICT
                auto dict = make(Value::Kind::Dict);
                addPairs(*dict, popMark());
                push(dict);
                break;
            }
            case 's': {                                                 // SETITEM
                auto value = pop(), key = pop();
                expect(top(), Value::Kind::Dict, "SETITEM")->entries.emplace_back(key, value);
                break;
            }
            case 'u': {                                                 // SETITEMS
                auto items = popMark();
                addPairs(*expect(top(), Value::Kind::Dict, "SETITEMS"), items);
                break;
            }
            case 'q': m_memo[little(1)] = top(); break;                 // BINPUT
            case 'r': m_memo[little(4)] = top(); break;                 // LONG_BINPUT
            case 0x94: m_memo[m_memo.size()] = top(); break;            // MEMOIZE
            case 'h': push(memo(little(1))); break;                     // BINGET
            case 'j': push(memo(little(4))); break;                     // LONG_BINGET
            case 'c': {                                                 // GLOBAL "module\nname\n"
                const std::string module = line(), name = line();
                push(global(module + "." + name));
                break;
            }
            case 0x93: {                                                // STACK_GLOBAL
                auto name = pop(), module = pop();
                if (name->kind != Value::Kind::String || module->kind != Value::Kind::String)
                    fail("STACK_GLOBAL needs two strings");
                push(global(module->text + "." + name->text));
                break;
            }
            case 'Q': push(persistent(pop())); break;                   // BINPERSID
            case 'R': {                                                 // REDUCE
                auto args = pop(), callable = pop();
                push(reduce(callable, expect(args, Value::Kind::Tuple, "REDUCE arguments")));
                break;
            }
            case 0x81: {                                                // NEWOBJ
                auto args = pop(), cls = pop();
                push(reduce(cls, expect(args, Value::Kind::Tuple, "NEWOBJ arguments")));
                break;
            }
            case 'b': pop(); break;  // BUILD: the state of an OrderedDict or parameter (metadata, hooks) is not needed
            default:
                fail("pickle opcode 0x" + hex(op) + " is not one torch.save writes");
            }
        }
    }

private:
    [[noreturn]] void fail(const std::string& why) const
    {
        throw Error::badInput(m_where + ": data.pkl: " + why + " (at byte " + std::to_string(m_cursor) + ")");
    }

    static std::string hex(unsigned value)
    {
        const char* digits = "0123456789abcdef";
        return {digits[(value >> 4) & 15], digits[value & 15]};
    }

    std::string take(uint64_t count)
    {
        if (count > m_bytes.size() - m_cursor)
            fail("truncated pickle");
        std::string out = m_bytes.substr(m_cursor, static_cast<std::size_t>(count));
        m_cursor += static_cast<std::size_t>(count);
        return out;
    }
    unsigned char byte() { return static_cast<unsigned char>(take(1)[0]); }
    uint64_t little(int count)
    {
        const std::string raw = take(count);
        uint64_t value = 0;
        for (int i = count - 1; i >= 0; --i)
            value = (value << 8) | static_cast<unsigned char>(raw[i]);
        return value;
    }
    std::string line()
    {
        const std::size_t end = m_bytes.find('\n', m_cursor);
        if (end == std::string::npos)
            fail("truncated GLOBAL");
        std::string out = m_bytes.substr(m_cursor, end - m_cursor);
        m_cursor = end + 1;
        return out;
    }

    void push(ValuePtr value) { m_stack.push_back(std::move(value)); }
    ValuePtr pop()
    {
        if (m_stack.empty() || (!m_marks.empty() && m_stack.size() == m_marks.back()))
            fail("stack underflow");
        ValuePtr value = m_stack.back();
        m_stack.pop_back();
        return value;
    }
    const ValuePtr& top()
    {
        if (m_stack.empty())
            fail("stack underflow");
        return m_stack.back();
    }
    std::vector<ValuePtr> popMark()
    {
        if (m_marks.empty())
            fail("no MARK to pop to");
        std::vector<ValuePtr> items(m_stack.begin() + m_marks.back(), m_stack.end());
        m_stack.resize(m_marks.back());
        m_marks.pop_back();
        return items;
    }
    ValuePtr memo(uint64_t key)
    {
        const auto found = m_memo.find(key);
        if (found == m_memo.end())
            fail("memo entry " + std::to_string(key) + " is read before it is written");
        return found->second;
    }
    const ValuePtr& expect(const ValuePtr& value, Value::Kind kind, const char* what)
    {
        if (value->kind != kind)
            fail(std::string(what) + " applied to the wrong kind of object");
        return value;
    }

    void pushInt(int64_t integer)
    {
        auto value = make(Value::Kind::Int);
        value->integer = integer;
        push(value);
    }
    void pushLong(uint64_t count)
    {
        if (count > 8)
            fail("integer of " + std::to_string(count) + " bytes does not fit 64 bits");
        const std::string raw = take(count);
        uint64_t bits = 0;
        for (std::size_t i = raw.size(); i-- > 0;)
            bits = (bits << 8) | static_cast<unsigned char>(raw[i]);
        if (count > 0 && count < 8 && (static_cast<unsigned char>(raw.back()) & 0x80))
            bits |= ~uint64_t(0) << (8 * count);  // sign-extend
        pushInt(static_cast<int64_t>(bits));
    }
    void pushText(Value::Kind kind, uint64_t count)
    {
        auto value = make(kind);
        value->text = take(count);
        push(value);
    }
    void addPairs(Value& dict, const std::vector<ValuePtr>& items)
    {
        if (items.size() % 2 != 0)
            fail("odd number of items for a dict");
        for (std::size_t i = 0; i < items.size(); i += 2)
            dict.entries.emplace_back(items[i], items[i + 1]);
    }

    ValuePtr global(const std::string& name)
    {
        bool known = false;
        for (const char* candidate : kKnownGlobals)
            known = known || name == candidate;
        for (const StorageType& storage : kStorageTypes)
            known = known || name == storage.global;
        if (!known)
            fail("the checkpoint names '" + name + "', which is not part of a state dict of tensors "
                 "(EMO Studio reads tensors only and never runs code from a checkpoint)");
        auto value = make(Value::Kind::Global);
        value->text = name;
        return value;
    }

    // ('storage', torch.<Type>Storage, key, location, elements) → the storage, not yet read.
    ValuePtr persistent(const ValuePtr& id)
    {
        if (id->kind != Value::Kind::Tuple || id->items.size() < 5 || id->items[0]->kind != Value::Kind::String
            || id->items[0]->text != "storage" || id->items[1]->kind != Value::Kind::Global
            || id->items[2]->kind != Value::Kind::String || id->items[4]->kind != Value::Kind::Int)
            fail("persistent id is not ('storage', type, key, location, size)");
        auto storage = make(Value::Kind::Storage);
        storage->text = id->items[2]->text;
        storage->integer = id->items[4]->integer;
        bool found = false;
        for (const StorageType& type : kStorageTypes)
            if (id->items[1]->text == type.global) {
                storage->tensor.dtype = type.dtype;
                found = true;
            }
        if (!found)
            fail("storage of type '" + id->items[1]->text + "' is not a tensor storage EMO Studio reads");
        if (storage->integer < 0)
            fail("storage '" + storage->text + "' has a negative size");
        return storage;
    }

    std::vector<int64_t> integers(const ValuePtr& tuple, const char* what)
    {
        if (tuple->kind != Value::Kind::Tuple)
            fail(std::string(what) + " of a tensor is not a tuple");
        std::vector<int64_t> out;
        for (const ValuePtr& item : tuple->items) {
            if (item->kind != Value::Kind::Int || item->integer < 0)
                fail(std::string(what) + " of a tensor holds something other than a non-negative integer");
            out.push_back(item->integer);
        }
        return out;
    }

    ValuePtr reduce(const ValuePtr& callable, const ValuePtr& args)
    {
        if (callable->kind != Value::Kind::Global)
            fail("REDUCE of something that is not a known global");
        const std::string& name = callable->text;
        const auto& a = args->items;
        if (name == "collections.OrderedDict")
            return make(Value::Kind::Dict);
        if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
            if (a.size() < 4 || a[0]->kind != Value::Kind::Storage || a[1]->kind != Value::Kind::Int)
                fail(name + " called with unexpected arguments");
            auto tensor = make(Value::Kind::Tensor);
            tensor->tensor.dtype = a[0]->tensor.dtype;
            tensor->tensor.storageKey = a[0]->text;
            tensor->tensor.storageElements = a[0]->integer;
            tensor->tensor.storageOffset = a[1]->integer;
            tensor->tensor.shape = integers(a[2], "size");
            tensor->tensor.stride = integers(a[3], "stride");
            if (tensor->tensor.shape.size() != tensor->tensor.stride.size())
                fail("a tensor's size and stride differ in length");
            return tensor;
        }
        if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
            if (a.empty() || a[0]->kind != Value::Kind::Tensor)
                fail(name + " called without a tensor");
            return a[0];
        }
        if (name == "torch._tensor._rebuild_from_type_v2") {  // (function, type, arguments, state)
            if (a.size() < 3 || a[2]->kind != Value::Kind::Tuple)
                fail(name + " called with unexpected arguments");
            return reduce(a[0], a[2]);
        }
        fail("'" + name + "' cannot be called");
    }

    const std::string& m_bytes;
    const std::string& m_where;
    std::size_t m_cursor = 0;
    std::vector<ValuePtr> m_stack;
    std::vector<std::size_t> m_marks;
    std::unordered_map<uint64_t, ValuePtr> m_memo;
};

} // namespace

std::vector<PickledTensor> readStateDictPickle(const std::string& bytes, const std::string& where)
{
    const ValuePtr root = StateDictUnpickler(bytes, where).run();
    if (root->kind != Value::Kind::Dict)
        throw Error::badInput(where + ": data.pkl does not hold a state dict (a dict of tensors)");
    std::vector<PickledTensor> tensors;
    for (const auto& [key, value] : root->entries) {
        if (key->kind != Value::Kind::String || value->kind != Value::Kind::Tensor)
            continue;
        PickledTensor tensor = value->tensor;
        tensor.name = key->text;
        tensors.push_back(std::move(tensor));
    }
    return tensors;
}

} // namespace emo::io
