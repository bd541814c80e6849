#include "support/test_devices.h"

#include <torch/torch.h>

namespace emo::test {

bool deviceAvailable(const QString& device)
{
    if (device == QLatin1String("cpu"))
        return true;
    return device.startsWith(QLatin1String("cuda")) && torch::cuda::is_available();
}

QStringList testDevices() { return {QStringLiteral("cpu"), QStringLiteral("cuda")}; }

} // namespace emo::test
