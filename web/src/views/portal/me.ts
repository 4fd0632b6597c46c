// Who is signed in, for every portal view.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Me } from "../../auth";

export const MeContext = createContext<Me | null>(null);

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("the portal's views render only for someone signed in");
  return me;
}

/** Billing settings and buying are the owner's and billing's (API.md); a technician only reads. */
export function canBuy(me: Me): boolean {
  return me.role === "customer" || me.billing;
}
