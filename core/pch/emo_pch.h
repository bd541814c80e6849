#pragma once
// Precompiled for every core target: torch's headers alone cost ~30 s per translation unit.
#include <torch/torch.h>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
