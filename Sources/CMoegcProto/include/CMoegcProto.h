// Umbrella header of the CMoegcProto target: the protoc-c generated code of every moegc binary
// format. Swift reaches it only through the wrappers in MoegcPolicy/Checkpoint and MoegcPlan (no C
// pointer escapes).
#ifndef CMOEGC_PROTO_H
#define CMOEGC_PROTO_H
#include "moegc_checkpoint.pb-c.h"
#include "moegc_plan.pb-c.h"
#include "onnx.pb-c.h"
#endif
