#include "loadgen/pump.h"

#include <string>

namespace sessionrig::loadgen {

Status RequestPump::Open(std::uint32_t max_in_flight) {
  SrTransportArgs args{};
  args.OwnerDriven = true;
  args.MaxInFlight = max_in_flight;
  args.HttpVersion = SrHttpVersion::Auto;
  if (HRESULT hr = SrTransportCreate(&args, &transport_); FAILED(hr)) {
    transport_ = nullptr;
    return Status(StatusCode::kUnavailable, std::string("transport: ") + SrHResultToString(hr));
  }
  if (HRESULT hr =
          XTaskQueueCreate(XTaskQueueDispatchMode::Manual, XTaskQueueDispatchMode::Manual, &queue_);
      FAILED(hr)) {
    queue_ = nullptr;
    return Status(StatusCode::kUnavailable, std::string("task queue: ") + SrHResultToString(hr));
  }
  return Status::Ok();
}

void RequestPump::Poll(std::uint32_t wait_ms) {
  SrTransportPoll(transport_, wait_ms);
  Dispatch();
}

void RequestPump::Dispatch() {
  bool any = true;
  while (any) {
    any = false;
    while (XTaskQueueDispatch(queue_, XTaskQueuePort::Work, 0)) any = true;
    while (XTaskQueueDispatch(queue_, XTaskQueuePort::Completion, 0)) any = true;
  }
}

void RequestPump::Close() {
  if (transport_ != nullptr) SrTransportCloseHandle(transport_);
  transport_ = nullptr;
  if (queue_ != nullptr) XTaskQueueCloseHandle(queue_);
  queue_ = nullptr;
}

}  // namespace sessionrig::loadgen
