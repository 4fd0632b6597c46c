// An account's invoices, each with its payment link (SPEC W1, O4).
import { get, seg } from "../../api";
import { Heading } from "../../components/Heading";
import { money, when } from "../../format";
import type { Invoice, Page } from "../../types";
import { useData } from "./data";
import { Failure, Loading } from "./Failure";

function PayCell({ i }: { i: Invoice }) {
  if (!i.payment_url) return <>—</>;
  return i.status === "open" ? (
    <a href={i.payment_url} class="pay-link">
      Pay now
    </a>
  ) : (
    <a href={i.payment_url}>View</a>
  );
}

export function InvoicesView({ accountId }: { accountId: string }) {
  const { data, error } = useData(() => get<Page<Invoice>>(`/accounts/${seg(accountId)}/invoices`), [accountId]);
  if (error) return <Failure error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <Heading>Invoices</Heading>
      {data.items.length ? (
        <table class="invoices">
          <thead>
            <tr>
              {["Date", "What", "Amount", "Status", "Pay"].map((c) => (
                <th scope="col">{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.items.map((i) => (
              <tr key={i.invoice_id}>
                <td>{when(i.created_at)}</td>
                <td>{i.description}</td>
                <td>{money(i.price)}</td>
                <td>
                  <span class={`pill ${i.status}`}>{i.status}</span>
                </td>
                <td>
                  <PayCell i={i} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No invoices yet.</p>
      )}
    </>
  );
}
