/* The target UART bridge (uart_bridge.h) on the STM32 USART of the F7 and H7 (the H7's FIFO is
 * left off, so both behave alike: RM0431 and RM0433, "USART"). */
#include "chip/uart_bridge.h"

#include "chip/chip.h"
#include "usb/usb_probe.h"

#define UART_CR1 REG32(CHIP_TARGET_UART_BASE + 0x00u)
#define UART_BRR REG32(CHIP_TARGET_UART_BASE + 0x0Cu)
#define UART_ISR REG32(CHIP_TARGET_UART_BASE + 0x1Cu)
#define UART_ICR REG32(CHIP_TARGET_UART_BASE + 0x20u)
#define UART_RDR REG32(CHIP_TARGET_UART_BASE + 0x24u)
#define UART_TDR REG32(CHIP_TARGET_UART_BASE + 0x28u)
#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR1_TXEIE (1u << 7)
#define ISR_ERRORS 0xFu /* PE, FE, NF, ORE; the same bits clear them in ICR */
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)

#define UART_PORT 1u      /* usb_probe's CDC-ACM port of the target UART */
#define RING_SIZE 1024u   /* a power of two: the indices run free and wrap */
_Static_assert((RING_SIZE & (RING_SIZE - 1u)) == 0, "RING_SIZE must be a power of two");

/* One producer and one consumer each: the interrupt and the main loop. */
typedef struct ring {
    uint8_t data[RING_SIZE];
    volatile uint32_t head; /* written by the producer */
    volatile uint32_t tail; /* written by the consumer */
} ring;

static ring rx, tx;
static uint32_t kernel_hz;
static volatile uint32_t dropped;

static void set_baud(uint32_t baud)
{
    /* 16x oversampling: BRR = kernel clock / baud, from 16 up to 0xFFFF. */
    uint32_t brr = baud ? (kernel_hz + baud / 2u) / baud : 0;
    if (brr < 16u) brr = 16u;
    if (brr > 0xFFFFu) brr = 0xFFFFu;
    uint32_t cr1 = UART_CR1;
    UART_CR1 = cr1 & ~CR1_UE; /* BRR is written with the USART off */
    UART_BRR = brr;
    UART_CR1 = cr1 | CR1_UE;
}

void uart_bridge_init(void)
{
    gpio_setup(BOARD_UART_TX_PORT, BOARD_UART_TX_PIN, GPIO_MODE_AF, false, GPIO_SPEED_MEDIUM, GPIO_PULL_UP,
               BOARD_UART_TX_AF, true);
    gpio_setup(BOARD_UART_RX_PORT, BOARD_UART_RX_PIN, GPIO_MODE_AF, false, GPIO_SPEED_MEDIUM, GPIO_PULL_UP,
               BOARD_UART_RX_AF, true);
    kernel_hz = chip_target_uart_clock_enable();
    UART_CR1 = 0;
    set_baud(UART_BRIDGE_DEFAULT_BAUD);
    UART_ICR = ISR_ERRORS;
    UART_CR1 = CR1_UE | CR1_RE | CR1_TE | CR1_RXNEIE;
    nvic_enable(CHIP_TARGET_UART_IRQ, 0x40u);
}

void chip_target_uart_irq(void);
void chip_target_uart_irq(void)
{
    uint32_t isr = UART_ISR;
    if (isr & ISR_ERRORS) UART_ICR = isr & ISR_ERRORS; /* an overrun only loses what the USART lost */
    if (isr & ISR_RXNE) {
        uint8_t byte = (uint8_t)UART_RDR;
        uint32_t head = rx.head;
        if (head - rx.tail < RING_SIZE) {
            rx.data[head % RING_SIZE] = byte;
            rx.head = head + 1u;
        } else {
            dropped++;
        }
    }
    if ((isr & ISR_TXE) && (UART_CR1 & CR1_TXEIE)) {
        uint32_t tail = tx.tail;
        if (tail != tx.head) {
            UART_TDR = tx.data[tail % RING_SIZE];
            tx.tail = tail + 1u;
        } else {
            UART_CR1 &= ~CR1_TXEIE; /* nothing left: wait for the main loop */
        }
    }
}

bool uart_bridge_poll(void)
{
    bool moved = false;
    uint32_t baud;
    if (usb_probe_line_coding(UART_PORT, &baud)) set_baud(baud);

    /* USB to UART: into the transmit ring's free space, in at most two pieces (it wraps). */
    for (int piece = 0; piece < 2; piece++) {
        uint32_t head = tx.head, used = head - tx.tail;
        uint32_t at = head % RING_SIZE, room = RING_SIZE - used;
        if (room > RING_SIZE - at) room = RING_SIZE - at;
        if (!room) break;
        size_t n = usb_probe_cdc_read(UART_PORT, &tx.data[at], room);
        if (!n) break;
        tx.head = head + (uint32_t)n;
        UART_CR1 |= CR1_TXEIE;
        moved = true;
    }

    /* UART to USB: what the receive ring holds, as much as the port takes. */
    for (int piece = 0; piece < 2; piece++) {
        uint32_t tail = rx.tail, used = rx.head - tail;
        uint32_t at = tail % RING_SIZE;
        if (used > RING_SIZE - at) used = RING_SIZE - at;
        if (!used) break;
        size_t n = usb_probe_cdc_write(UART_PORT, &rx.data[at], used);
        if (!n) break;
        rx.tail = tail + (uint32_t)n;
        moved = true;
    }
    return moved;
}

uint32_t uart_bridge_dropped(void)
{
    return dropped;
}
