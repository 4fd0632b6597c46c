// A view that could not be read: what went wrong, in the API's words.
import { Heading } from "../../components/Heading";

export function Failure({ error }: { error: Error }) {
  return (
    <>
      <Heading>Something went wrong</Heading>
      <p class="errors" role="alert">
        {error.message}
      </p>
    </>
  );
}

export function Loading() {
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  );
}
