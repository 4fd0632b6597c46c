// What every portal view shares: loading its data (kept on screen while it is read again after an action)
// and asking the whole portal to read again, a moment after an action (the streams update the balances).
import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
}

export const ReloadContext = createContext<{ version: number; reload: (delayMs?: number) => void }>({
  version: 0,
  reload: () => undefined,
});

export function useReload(): (delayMs?: number) => void {
  return useContext(ReloadContext).reload;
}

/**
 * `load()` run now and again whenever `deps` change or the portal reloads. Read again after an action, the
 * last data stays on screen until the new arrives; for other `deps` (another month), it goes at once.
 */
export function useData<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const { version } = useContext(ReloadContext);
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null });
  const key = JSON.stringify(deps);
  const shown = useRef(key);
  useEffect(() => {
    let current = true;
    if (shown.current !== key) {
      shown.current = key;
      setState({ data: null, error: null });
    }
    load().then(
      (data) => current && setState({ data, error: null }),
      (error: Error) => current && setState({ data: null, error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, version]);
  return state;
}
