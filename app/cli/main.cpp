#include "util/error.h"
#include "util/runtime.h"

#include <iostream>

int main(int argc, char** argv)
{
    (void)argc; (void)argv;
    emo::util::initThreads();
    std::cout << "emo\n";
    return 0;
}
