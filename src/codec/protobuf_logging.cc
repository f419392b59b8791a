#include "src/codec/protobuf_logging.h"

#include <google/protobuf/stubs/logging.h>

namespace ferry {

void SilenceProtobufLogging() { google::protobuf::SetLogHandler(nullptr); }

}  // namespace ferry
